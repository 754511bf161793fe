#include "net/populated_memory.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <new>

namespace net {

PopulatedMemory::PopulatedMemory(std::size_t bytes) : size_(bytes) {
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    const std::size_t rounded = (bytes + page - 1) / page * page;
    bytes_ = static_cast<char*>(std::aligned_alloc(page, rounded));
    if (bytes_ == nullptr) throw std::bad_alloc();
    // A hint: where the kernel cannot populate (before Linux 5.14), pages fault in as they are
    // first written, as they would have anyway. Memory the allocator hands back again is
    // populated already, and costs a walk of its page tables.
    madvise(bytes_, rounded, MADV_POPULATE_WRITE);
}

PopulatedMemory::~PopulatedMemory() {
    std::free(bytes_);
}

}  // namespace net
