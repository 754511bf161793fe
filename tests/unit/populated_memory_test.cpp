// The write queue's blocks come populated: every page resident before the first byte is
// written (so filling a block takes no page fault per page).
#include "net/populated_memory.hpp"

#include <doctest/doctest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace {

std::size_t resident_pages(const net::PopulatedMemory& memory) {
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    std::vector<unsigned char> flags((memory.size() + page - 1) / page);
    REQUIRE(mincore(memory.get(), memory.size(), flags.data()) == 0);
    std::size_t resident = 0;
    for (unsigned char f : flags) resident += f & 1;
    return resident;
}

}  // namespace

TEST_CASE("populated memory: page-aligned, every page resident before it is written") {
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    for (std::size_t bytes : {page, 16 * page, std::size_t{64 * 1024 + 100}}) {
        CAPTURE(bytes);
        // Several at once, so that some come from memory the allocator never handed out.
        std::vector<std::unique_ptr<net::PopulatedMemory>> blocks;
        for (int i = 0; i < 8; ++i) blocks.push_back(std::make_unique<net::PopulatedMemory>(bytes));
        for (const auto& block : blocks) {
            CHECK(reinterpret_cast<std::uintptr_t>(block->get()) % page == 0);
            CHECK(block->size() == bytes);
            CHECK(resident_pages(*block) == (bytes + page - 1) / page);
            std::memset(block->get(), 0x5a, bytes);
            CHECK(block->get()[bytes - 1] == 0x5a);
        }
    }
}
