#include "net/populated_memory.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace net {

PopulatedMemory::PopulatedMemory(std::size_t bytes) : bytes_(new char[bytes]), size_(bytes) {
    // Only the pages wholly inside: aligning the block itself would leave a gap of most of a
    // page beside each one (the allocator's header comes first), a page of RSS a block.
    const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    const auto start = reinterpret_cast<std::uintptr_t>(bytes_);
    const std::uintptr_t first = (start + page - 1) / page * page;
    const std::uintptr_t end = (start + size_) / page * page;
    // A hint: where the kernel cannot populate (before Linux 5.14), pages fault in as they are
    // first written, as they would have anyway. Memory the allocator hands back again is
    // populated already, and costs a walk of its page tables.
    if (end > first) madvise(reinterpret_cast<void*>(first), end - first, MADV_POPULATE_WRITE);
}

PopulatedMemory::~PopulatedMemory() {
    delete[] bytes_;
}

}  // namespace net
