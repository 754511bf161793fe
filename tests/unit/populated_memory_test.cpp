// The write queue's blocks come populated: every page wholly inside one is resident before
// its first byte is written (so filling a block takes no page fault per page). And the heap's
// growth is populated when looked at between batches.
#include "memory/populated_memory.hpp"

#include <doctest/doctest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "memory/heap_growth.hpp"

namespace {

struct Pages {
    std::size_t inside = 0;    // wholly inside the memory
    std::size_t resident = 0;  // of those
};

Pages pages_of(const memory::PopulatedMemory& block) {
    const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    const auto start = reinterpret_cast<std::uintptr_t>(block.get());
    const std::uintptr_t first = (start + page - 1) / page * page;
    const std::uintptr_t end = (start + block.size()) / page * page;
    Pages pages;
    if (end <= first) return pages;
    pages.inside = (end - first) / page;
    std::vector<unsigned char> flags(pages.inside);
    REQUIRE(mincore(reinterpret_cast<void*>(first), end - first, flags.data()) == 0);
    for (unsigned char f : flags) pages.resident += f & 1;
    return pages;
}

}  // namespace

TEST_CASE("populated memory: every page wholly inside is resident before it is written") {
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    for (std::size_t bytes : {page, 16 * page, std::size_t{64 * 1024 + 100}}) {
        CAPTURE(bytes);
        // Several at once, so that some come from memory the allocator never handed out.
        std::vector<std::unique_ptr<memory::PopulatedMemory>> blocks;
        for (int i = 0; i < 8; ++i)
            blocks.push_back(std::make_unique<memory::PopulatedMemory>(bytes));
        for (const auto& block : blocks) {
            CHECK(block->size() == bytes);
            const Pages pages = pages_of(*block);
            CHECK(pages.inside + 1 >= bytes / page);  // at most one lost at the ends
            CHECK(pages.resident == pages.inside);
            std::memset(block->get(), 0x5a, bytes);
            CHECK(block->get()[bytes - 1] == 0x5a);
        }
    }
}

TEST_CASE("heap growth: the pages the break gains are resident after the next look") {
    const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    constexpr std::size_t kGain = 64;  // pages
    std::vector<unsigned char> untouched(kGain), looked_at(kGain);
    memory::HeapGrowth growth;
    growth.populate_gained();  // whatever came before this test
    // The break moved by hand, as malloc moves it, and moved back before anything allocates
    // (malloc would take the moved break as its own): nothing between the two sbrk calls
    // allocates.
    const auto before = reinterpret_cast<std::uintptr_t>(sbrk(0));
    const std::uintptr_t first = (before + page - 1) / page * page;
    const std::size_t step = first - before + kGain * page;
    REQUIRE(sbrk(static_cast<intptr_t>(step)) != reinterpret_cast<void*>(-1));
    const int untouched_status =
        mincore(reinterpret_cast<void*>(first), kGain * page, untouched.data());
    const std::size_t gained = growth.populate_gained();
    const std::size_t gained_again = growth.populate_gained();
    const int looked_at_status =
        mincore(reinterpret_cast<void*>(first), kGain * page, looked_at.data());
    REQUIRE(sbrk(-static_cast<intptr_t>(step)) != reinterpret_cast<void*>(-1));
    growth.populate_gained();  // follows the break back down

    REQUIRE(untouched_status == 0);
    REQUIRE(looked_at_status == 0);
    std::size_t resident_untouched = 0, resident_looked_at = 0;
    for (std::size_t i = 0; i < kGain; ++i) {
        resident_untouched += untouched[i] & 1;
        resident_looked_at += looked_at[i] & 1;
    }
    CHECK(resident_untouched == 0);  // left alone, the gain waits for its first writes
    CHECK(gained == step);
    CHECK(resident_looked_at == kGain);
    CHECK(gained_again == 0);  // nothing new
    CHECK(growth.populated_bytes() == step);
}
