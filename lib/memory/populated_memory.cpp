#include "memory/populated_memory.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace memory {

void populate(void* begin, std::size_t bytes) {
    const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    const auto start = reinterpret_cast<std::uintptr_t>(begin);
    const std::uintptr_t first = (start + page - 1) / page * page;
    const std::uintptr_t end = (start + bytes) / page * page;
    // Memory the allocator hands back again is populated already, and costs a walk of its
    // page tables.
    if (end > first) madvise(reinterpret_cast<void*>(first), end - first, MADV_POPULATE_WRITE);
}

PopulatedMemory::PopulatedMemory(std::size_t bytes) : bytes_(new char[bytes]), size_(bytes) {
    // Only the pages wholly inside: aligning the block itself would leave a gap of most of a
    // page beside each one (the allocator's header comes first), a page of RSS a block.
    populate(bytes_, size_);
}

PopulatedMemory::~PopulatedMemory() {
    delete[] bytes_;
}

}  // namespace memory
