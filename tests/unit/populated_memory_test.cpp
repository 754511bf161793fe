// The write queue's blocks come populated: every page wholly inside one is resident before
// its first byte is written (so filling a block takes no page fault per page).
#include "memory/populated_memory.hpp"

#include <doctest/doctest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

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
