// The bounce tracker's storage: records and ids in recycled chunks, read by position, and the
// zeroed memory its index's tables live in. Each is checked against a plain model over many
// chunks' worth of pushes and pops.
#include <doctest/doctest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "memory/zeroed_memory.hpp"
#include "offline/byte_fifo.hpp"
#include "offline/chunked_fifo.hpp"

namespace {

// Counts the records alive, so that a missed destructor (or a double one) shows.
struct Counted {
    explicit Counted(std::uint64_t v, int& live) : value(v), live(&live) { ++live; }
    ~Counted() { --*live; }
    Counted(const Counted&) = delete;
    Counted& operator=(const Counted&) = delete;
    std::uint64_t value;
    int* live;
    char padding[40] = {};
};

std::size_t resident_pages(const char* begin, std::size_t bytes) {
    std::vector<unsigned char> flags((bytes + 4095) / 4096);
    REQUIRE(mincore(const_cast<char*>(begin), bytes, flags.data()) == 0);
    std::size_t resident = 0;
    for (unsigned char flag : flags) resident += flag & 1;
    return resident;
}

}  // namespace

TEST_CASE("chunked fifo: reads by position like a deque, across chunks, and destroys each once") {
    int live = 0;
    {
        offline::ChunkedFifo<Counted> fifo;
        std::deque<std::uint64_t> model;
        std::mt19937 random(5);
        std::uint64_t next = 0;
        const std::size_t per_chunk = offline::ChunkedFifo<Counted>::kPerChunk;
        for (int step = 0; step < 40000; ++step) {
            // Grows to a few chunks, shrinks to none now and then, and turns over.
            const bool push = model.empty() || random() % 100 < (step % 8000 < 5000 ? 60 : 35);
            if (push) {
                CHECK(fifo.emplace_back(next, live).value == next);
                model.push_back(next++);
            } else {
                fifo.pop_front();
                model.pop_front();
            }
            REQUIRE(fifo.size() == model.size());
            REQUIRE(live == static_cast<int>(model.size()));
            if (step % 97 == 0 && !model.empty()) {
                for (std::size_t i = 0; i < model.size(); i += 1 + model.size() / 50)
                    REQUIRE(fifo[i].value == model[i]);
                CHECK(fifo.front().value == model.front());
                CHECK(fifo.back().value == model.back());
            }
        }
        CHECK(next > 4 * per_chunk);  // the run did cross chunks
        // Records stay where they were made while the ends move.
        Counted* first = &fifo.emplace_back(next, live);
        for (std::size_t i = 0; i < 3 * per_chunk; ++i) fifo.emplace_back(next + 1 + i, live);
        CHECK(first->value == next);
        fifo.clear();
        CHECK(live == 0);
        for (int i = 0; i < 10; ++i) fifo.emplace_back(i, live);
    }
    CHECK(live == 0);  // the destructor destroys what is left
}

TEST_CASE("byte fifo: strings read back until released, chunks reused, long ones alone") {
    offline::ByteFifo fifo;
    struct Kept {
        offline::ByteFifo::Place place;
        std::string bytes;
    };
    std::deque<Kept> kept;
    std::mt19937 random(9);
    for (int i = 0; i < 20000; ++i) {
        std::string bytes(random() % 60, 'a');
        for (char& c : bytes) c = static_cast<char>('a' + random() % 26);
        if (i % 5000 == 0) bytes.assign(3 * offline::ByteFifo::kChunkBytes + 7, 'L');  // outsized
        kept.push_back({fifo.push(bytes), bytes});
        // Keeps about the last 3,000 strings, releasing older ones in order.
        while (kept.size() > 3000) {
            kept.pop_front();
            fifo.release_before(kept.front().place);
        }
        if (i % 211 == 0) {
            for (const Kept& k : kept) REQUIRE(fifo.view(k.place, k.bytes.size()) == k.bytes);
        }
    }
    // 3,000 strings of ~30 bytes and possibly one outsized: a few chunks, not one per release.
    CHECK(fifo.chunks() <= 6);
    fifo.clear();
    CHECK(fifo.chunks() == 0);
    const auto place = fifo.push("after clear");
    CHECK(fifo.view(place, 11) == "after clear");
    CHECK(fifo.push("").offset == 11);  // an empty string takes no room
}

TEST_CASE("chunked fifo: the chunk prepared between batches is the one the next record takes") {
    int live = 0;
    {
        offline::ChunkedFifo<Counted> fifo;
        fifo.prepare_ahead();
        CHECK_FALSE(fifo.has_spare());  // nothing kept, nothing to grow into
        const std::size_t per_chunk = offline::ChunkedFifo<Counted>::kPerChunk;
        for (std::size_t i = 0; i < per_chunk; ++i) fifo.emplace_back(i, live);
        fifo.prepare_ahead();
        REQUIRE(fifo.has_spare());
        fifo.prepare_ahead();  // one is enough
        fifo.emplace_back(per_chunk, live);
        CHECK_FALSE(fifo.has_spare());  // taken by the record that needed a new chunk
        for (std::size_t i = 0; i <= per_chunk; ++i) CHECK(fifo[i].value == i);
        CHECK(live == static_cast<int>(per_chunk + 1));
    }
    CHECK(live == 0);  // the spare held no record
}

TEST_CASE("byte fifo: the chunk prepared between batches is the one the next string takes") {
    offline::ByteFifo fifo;
    fifo.prepare_ahead();
    CHECK_FALSE(fifo.has_spare());
    const std::string piece(1000, 'p');
    std::vector<offline::ByteFifo::Place> places;
    while (fifo.chunks() < 2) {
        if (fifo.chunks() == 1 && !fifo.has_spare()) fifo.prepare_ahead();
        places.push_back(fifo.push(piece));
    }
    CHECK_FALSE(fifo.has_spare());  // the second chunk is the one prepared
    for (const auto& place : places) CHECK(fifo.view(place, piece.size()) == piece);
    // An outsized string leaves the usual-sized spare for the next one.
    fifo.prepare_ahead();
    REQUIRE(fifo.has_spare());
    const std::string outsized(2 * offline::ByteFifo::kChunkBytes, 'o');
    const auto place = fifo.push(outsized);
    CHECK(fifo.view(place, outsized.size()) == outsized);
    CHECK(fifo.has_spare());
}

TEST_CASE("chunked fifos: prepared between batches and turning over, no chunk is made again") {
    // At a steady size (the bounce tracker after its first TTL) the front gives back a chunk
    // for each one the back takes: once warm, neither FIFO makes a chunk nor lets one go.
    int live = 0;
    offline::ChunkedFifo<Counted> records;
    offline::ByteFifo ids;
    std::deque<offline::ByteFifo::Place> places;
    const std::size_t per_chunk = offline::ChunkedFifo<Counted>::kPerChunk;
    const std::string id(100, 'i');  // 655 to a chunk
    std::size_t records_made_warm = 0, ids_made_warm = 0;
    for (std::size_t i = 0; i < 40 * per_chunk; ++i) {
        records.emplace_back(i, live);
        places.push_back(ids.push(id));
        if (records.size() > per_chunk * 3 / 2) records.pop_front();
        if (places.size() > 1000) {
            places.pop_front();
            ids.release_before(places.front());
        }
        if (i % 16 == 15) {  // a batch
            records.prepare_ahead();
            ids.prepare_ahead();
        }
        if (i == 10 * per_chunk) {
            records_made_warm = records.chunks_made();
            ids_made_warm = ids.chunks_made();
        }
    }
    CHECK(records.chunks_made() == records_made_warm);
    CHECK(ids.chunks_made() == ids_made_warm);
    CHECK(records_made_warm <= 5);
    CHECK(ids_made_warm <= 5);
    CHECK(records.front().value == 40 * per_chunk - records.size());
    CHECK(ids.view(places.back(), id.size()) == id);
}

TEST_CASE("zeroed memory: zero as it comes, mapped pages populated on request, movable") {
    const std::size_t bytes = 1 << 20;
    memory::ZeroedMemory mapped(bytes);
    REQUIRE(mapped.size() == bytes);
    const std::size_t pages = bytes / 4096;
    CHECK(resident_pages(mapped.get(), bytes) < pages / 8);  // nothing touched it
    mapped.populate(0, 256 * 1024);
    CHECK(resident_pages(mapped.get(), 256 * 1024) == 256 * 1024 / 4096);
    CHECK(resident_pages(mapped.get() + 512 * 1024, 512 * 1024) < pages / 8);
    bool all_zero = true;
    for (std::size_t i = 0; i < bytes; i += 511) all_zero = all_zero && mapped.get()[i] == 0;
    CHECK(all_zero);

    memory::ZeroedMemory small(100);  // from the allocator, zeroed by it
    bool small_zero = true;
    for (std::size_t i = 0; i < 100; ++i) small_zero = small_zero && small.get()[i] == 0;
    CHECK(small_zero);
    small.populate(0, 100);  // nothing to do, no harm

    memory::ZeroedMemory moved(std::move(mapped));
    CHECK(mapped.empty());
    CHECK(moved.size() == bytes);
    moved.get()[bytes - 1] = 1;
    moved = memory::ZeroedMemory();
    CHECK(moved.empty());
}
