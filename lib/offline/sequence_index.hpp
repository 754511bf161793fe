// The newest sequence number under each key, for keys its owner keeps: the bounce tracker's
// index of fan-outs by message id. A flat table of (hash, sequence) pairs holds no string and
// no node per entry: a slot's key is read back through `KeyOf` (the fan-out's own id) only when
// the hashes match. The node-based map it replaces spent a sixth of the proxy's time at
// fan-out K = 10 in cache misses: bucket, node, then the key's bytes, for each of the five
// lookups a message made.
//
// It grows without a pause: a full table becomes the old generation, and each put moves a few
// of its slots into the new one (twice the size), so the old generation is empty long before
// the new one fills. Until then a lookup tries both; the old one's moved and erased slots stay
// as markers so that its probe runs are not cut short. The new table itself is written a few
// slots per put ahead of time, from three eighths full on: writing it whole when it is needed
// faulted in every page of it at once (a megabyte, 8 ms of one loop iteration at 50,000
// stanzas/s on a VM where a page fault costs ~20 µs).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "offline/linear_probing.hpp"

namespace offline {

template <typename KeyOf, typename Hash = std::hash<std::string_view>>
class SequenceIndex {
  public:
    explicit SequenceIndex(KeyOf key_of, Hash hash = Hash())
        : key_of_(std::move(key_of)), hash_(std::move(hash)), current_(kFirstSlots) {}

    // The sequence number kept under `key`, or null.
    std::uint64_t* find(std::string_view key) {
        const std::uint64_t hash = hash_(key);
        if (Slot* slot = probe(current_, hash, key)) return &slot->sequence;
        if (old_live_ == 0) return nullptr;
        Slot* slot = probe(old_, hash, key);
        return slot == nullptr ? nullptr : &slot->sequence;
    }

    // Keeps `sequence` under `key`; returns what was there, or kNone. (One probe where a
    // find and a put would make two: each costs cache misses.)
    std::uint64_t exchange(std::string_view key, std::uint64_t sequence) {
        move_old_slots();
        const std::uint64_t hash = hash_(key);
        if (Slot* slot = probe(current_, hash, key)) return std::exchange(slot->sequence, sequence);
        std::uint64_t previous = kNone;
        if (old_live_ > 0) {
            if (Slot* slot = probe(old_, hash, key)) {
                previous = std::exchange(slot->sequence, kMoved);
                --old_live_;
            }
        }
        if ((current_live_ + 1) * 2 > current_.size()) start_generation();
        prepare_next();
        place(current_, Slot{hash, sequence});
        ++current_live_;
        return previous;
    }

    // Erases `key` if `keep(sequence)` is false for what it holds; true when it did.
    template <typename Keep>
    bool erase_unless(std::string_view key, Keep keep) {
        const std::uint64_t hash = hash_(key);
        if (Slot* slot = probe(current_, hash, key)) {
            if (keep(slot->sequence)) return false;
            remove_from_current(static_cast<std::size_t>(slot - current_.data()));
            return true;
        }
        if (old_live_ == 0) return false;
        Slot* slot = probe(old_, hash, key);
        if (slot == nullptr || keep(slot->sequence)) return false;
        slot->sequence = kMoved;
        --old_live_;
        return true;
    }

    bool erase(std::string_view key) {
        return erase_unless(key, [](std::uint64_t) { return false; });
    }

    std::size_t size() const { return current_live_ + old_live_; }
    // Entries still waiting to move to the new generation (0 but while it grows).
    std::size_t moving() const { return old_live_; }
    // Generations that began before their table was written ahead (then written at once).
    std::size_t unprepared_generations() const { return unprepared_generations_; }

    static constexpr std::uint64_t kNone = ~std::uint64_t{0};

  private:
    struct Slot {
        std::uint64_t hash = 0;
        std::uint64_t sequence = kEmpty;
    };
    static constexpr std::uint64_t kEmpty = kNone;
    static constexpr std::uint64_t kMoved = kEmpty - 1;  // old generation only
    static constexpr std::size_t kFirstSlots = 16;       // a power of two, as every size
    // Slots of the old generation looked at per put. It has C slots (C/2 entries), the new one
    // 2C and room for C entries: the old one is through after C/4 puts, when the new one
    // holds at most C/2 + C/4.
    static constexpr std::size_t kMovedPerPut = 4;
    // Slots of the next table written per put. Writing starts at 3/8 of C entries, at least
    // C/8 puts before a new generation (at C/2): 2C slots take 16 a put; 32 leaves a margin
    // (entries moved in from the old generation count towards the 3/8 too).
    static constexpr std::size_t kPreparedPerPut = 32;

    static bool holds_entry(const Slot& slot) { return slot.sequence < kMoved; }

    Slot* probe(std::vector<Slot>& table, std::uint64_t hash, std::string_view key) {
        const std::size_t mask = table.size() - 1;
        for (std::size_t at = hash & mask; table[at].sequence != kEmpty; at = (at + 1) & mask) {
            Slot& slot = table[at];
            if (slot.hash == hash && holds_entry(slot) && key_of_(slot.sequence) == key)
                return &slot;
        }
        return nullptr;
    }

    static void place(std::vector<Slot>& table, Slot entry) {
        const std::size_t mask = table.size() - 1;
        std::size_t at = entry.hash & mask;
        while (table[at].sequence != kEmpty) at = (at + 1) & mask;
        table[at] = entry;
    }

    void remove_from_current(std::size_t at) {
        erase_by_shifting_back(current_, at,
                               [](const Slot& slot) { return slot.sequence == kEmpty; });
        --current_live_;
    }

    void move_old_slots(std::size_t slots = kMovedPerPut) {
        for (; slots > 0 && old_live_ > 0 && cursor_ < old_.size(); --slots, ++cursor_) {
            Slot& slot = old_[cursor_];
            if (!holds_entry(slot)) continue;
            place(current_, slot);
            ++current_live_;
            slot.sequence = kMoved;
            --old_live_;
        }
        // Through: the old generation gives its slots back.
        if (old_live_ == 0 && !old_.empty()) std::vector<Slot>().swap(old_);
    }

    // Reserving does not touch the memory; resizing within the reservation writes (and so
    // faults in) only the slots it adds.
    void prepare_next() {
        if (next_.capacity() == 0) {
            if (current_live_ * 8 < current_.size() * 3) return;
            next_.reserve(current_.size() * 2);
        }
        const std::size_t wanted = current_.size() * 2;
        if (next_.size() < wanted) next_.resize(std::min(next_.size() + kPreparedPerPut, wanted));
    }

    void start_generation() {
        // Nothing is left to move by the arithmetic above; should it be, it moves now.
        move_old_slots(old_.size());
        const std::size_t wanted = current_.size() * 2;
        if (next_.size() < wanted) {
            ++unprepared_generations_;
            next_.resize(wanted);
        }
        old_ = std::exchange(current_, std::move(next_));
        next_ = std::vector<Slot>();
        old_live_ = std::exchange(current_live_, 0);
        cursor_ = 0;
    }

    KeyOf key_of_;
    Hash hash_;
    std::vector<Slot> current_;
    std::size_t current_live_ = 0;
    std::vector<Slot> old_;
    std::size_t old_live_ = 0;
    std::size_t cursor_ = 0;  // the next old slot to move
    std::vector<Slot> next_;  // the next generation's table, written ahead
    std::size_t unprepared_generations_ = 0;
};

}  // namespace offline
