// Zero-filled memory that is not touched when made: a large block is a fresh anonymous
// mapping, whose pages the kernel zeroes as they are first faulted in, so a table whose empty
// slot is all zero bytes needs no pass writing it empty. (A vector writes every slot it
// adds: at fan-out K = 10 that write, a few cache lines a message into memory never read
// before, was 4% of the proxy's time.) Its owner faults pages in ahead of use with
// `populate`, 64 KiB or more at a time, rather than one trap a page as they are first written.
#pragma once

#include <cstddef>

namespace memory {

class ZeroedMemory {
  public:
    ZeroedMemory() = default;
    // Throws std::bad_alloc when the memory cannot be had.
    explicit ZeroedMemory(std::size_t bytes);
    ~ZeroedMemory();
    ZeroedMemory(ZeroedMemory&& other) noexcept;
    ZeroedMemory& operator=(ZeroedMemory&& other) noexcept;

    char* get() const { return bytes_; }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    // Faults in the pages wholly inside [offset, offset + bytes) now (a hint; see populate()).
    void populate(std::size_t offset, std::size_t bytes) const;

    // Below this a block comes from the allocator (zeroed by it: a few pages at most).
    static constexpr std::size_t kMappedFrom = 64 * 1024;
    // A mapping, whose pages populate() faults in (the allocator's are resident already).
    bool mapped() const { return size_ >= kMappedFrom; }

  private:
    void release();

    char* bytes_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace memory
