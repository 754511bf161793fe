// malloc's main arena grows by moving the program break, and the pages it gains fault in one
// at a time as allocations first write them: a trap each (~11 µs on the VMs the proxy was
// measured on), taken by whichever stanza's allocation happens to reach a new page. Looked at
// between batches, the pages the break gained since the last look are populated by one call
// instead (malloc moves the break a step at a time: M_TOP_PAD, 128 KiB by default), so the
// allocations after it find them resident. Only the main arena grows this way: other threads'
// arenas are mappings of their own, left alone.
#pragma once

#include <cstddef>
#include <cstdint>

namespace memory {

class HeapGrowth {
  public:
    // Starts from the break as it is now.
    HeapGrowth();

    // Populates what the break gained since the last call and returns its bytes; 0, with no
    // system call, when it gained nothing. A break that moved back (malloc trimmed the heap)
    // is followed down.
    std::size_t populate_gained();
    std::uint64_t populated_bytes() const { return populated_bytes_; }

  private:
    std::uintptr_t seen_break_;
    std::uint64_t populated_bytes_ = 0;
};

}  // namespace memory
