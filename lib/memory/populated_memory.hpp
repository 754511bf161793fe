// Heap memory whose pages are faulted in when it is made, by one call. Memory that a process
// touches page by page takes a trap per page: on the VMs this proxy was measured on that is
// ~11 µs a page, against ~1.6 µs a page populated in one go. For buffers that will be written
// whole; the pages it shares with its neighbours at either end are left to the allocator.
#pragma once

#include <cstddef>

namespace memory {

// Faults in the pages wholly inside [begin, begin + bytes), by one call. A hint: where the
// kernel cannot (before Linux 5.14) the pages fault in as they are first written, as they
// would have anyway. Pages shared with neighbours at either end are left alone.
void populate(void* begin, std::size_t bytes);

class PopulatedMemory {
  public:
    // Throws std::bad_alloc when the memory cannot be had.
    explicit PopulatedMemory(std::size_t bytes);
    ~PopulatedMemory();
    PopulatedMemory(const PopulatedMemory&) = delete;
    PopulatedMemory& operator=(const PopulatedMemory&) = delete;

    char* get() const { return bytes_; }
    std::size_t size() const { return size_; }

  private:
    char* bytes_;
    std::size_t size_;
};

}  // namespace memory
