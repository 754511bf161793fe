// How many held writes go to each recipient, by a hash of the recipient: while output is held,
// every write asks whether its recipient has something held. A flat table of (hash, count),
// so that question is one probe, and holding a write allocates nothing. Two recipients with
// one hash only make a write wait for a commit it did not need to wait for: the order stays
// right either way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace session {

class RecipientCounts {
  public:
    void add(std::uint64_t recipient);
    // `recipient` was added before (as many times as it is removed).
    void remove(std::uint64_t recipient);
    bool contains(std::uint64_t recipient) const;
    bool empty() const { return live_ == 0; }
    // Once every count is back to 0: a table a burst grew goes back to the allocator. A small
    // one stays as it is (its slots at 0 are dropped when it next makes room), so an end of
    // holding costs nothing.
    void release_if_large();
    std::size_t slots() const { return slots_.size(); }

  private:
    struct Slot {
        std::uint64_t hash = 0;  // 0: free (a hash of 0 is kept as 1)
        std::uint32_t count = 0;
    };
    static std::uint64_t stored(std::uint64_t hash) { return hash == 0 ? 1 : hash; }
    // The slot holding `hash`, or the free one where it would go.
    std::size_t slot_of(std::uint64_t hash) const;
    // Makes room for one more hash: drops the slots whose count went to 0 and, if still
    // needed, doubles the table.
    void make_room();

    // A power of two in size, or empty. A slot whose count went to 0 stays until the next
    // make_room(): removing costs no shifting, and a recipient that comes back finds it.
    std::vector<Slot> slots_;
    std::size_t used_ = 0;  // slots with a hash
    std::size_t live_ = 0;  // slots with a count
};

}  // namespace session
