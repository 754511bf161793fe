// Strings kept in arrival order and dropped oldest first, packed in 64 KiB chunks whose pages
// come populated and which are reused as the FIFO turns over: the bounce tracker's message
// ids, one per fan-out for the bounce TTL, without a heap string (and its page faults while
// the tracker grows) each. A string never straddles two chunks; one longer than a chunk gets
// a chunk of its own size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string_view>

#include "memory/populated_memory.hpp"
#include "offline/spare_chunks.hpp"

namespace offline {

class ByteFifo {
  public:
    // Where a string was put: its chunk's serial number (counting every chunk ever used, mod
    // 2^32) and its offset in that chunk.
    struct Place {
        std::uint32_t chunk = 0;
        std::uint32_t offset = 0;
    };
    static constexpr std::size_t kChunkBytes = 64 * 1024;

    ByteFifo() = default;
    ByteFifo(const ByteFifo&) = delete;
    ByteFifo& operator=(const ByteFifo&) = delete;

    Place push(std::string_view bytes) { return push(bytes, {}); }
    // `first` and `second` as one string, in one place.
    Place push(std::string_view first, std::string_view second);
    // `length` is the length pushed at `place`, which must not have been released.
    std::string_view view(Place place, std::size_t length) const {
        const Chunk& chunk = *chunks_[static_cast<std::uint32_t>(place.chunk - first_serial_)];
        return std::string_view(chunk.memory.get() + place.offset, length);
    }
    // Strings put before `place` are read no more: the chunks wholly before its chunk go.
    void release_before(Place place);
    void clear();
    // While strings are kept, makes the chunk that push() takes next, so that its pages are
    // populated between batches (ChunkedFifo::prepare_ahead says why).
    void prepare_ahead();
    bool has_spare() const { return !spares_.empty(); }
    // Chunks ever made (not taken from the spares).
    std::size_t chunks_made() const { return spares_.made(); }

    std::size_t chunks() const { return chunks_.size(); }

  private:
    struct Chunk {
        explicit Chunk(std::size_t bytes) : memory(bytes) {}
        memory::PopulatedMemory memory;
        std::size_t used = 0;
    };

    void release_front();

    std::deque<std::unique_ptr<Chunk>> chunks_;
    SpareChunks<Chunk> spares_;       // of kChunkBytes each
    std::uint32_t first_serial_ = 0;  // of chunks_.front()
};

}  // namespace offline
