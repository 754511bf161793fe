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
// as markers so that its probe runs are not cut short. A table's empty slot is all zero bytes,
// so a new one is zeroed memory nobody writes (lib/memory): its pages are faulted in 64 KiB at
// a time ahead of need, from three eighths full on, between batches (prepare_ahead) where the
// owner calls it, else by the puts. Writing it whole when it is needed faulted
// in every page of it at once (a megabyte, 8 ms of one loop iteration at 50,000 stanzas/s on a
// VM where a page fault costs ~11 µs); writing it empty a few slots a put was 4% of the
// proxy's time at fan-out K = 10 (stores into memory not yet in any cache).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>

#include "memory/zeroed_memory.hpp"
#include "offline/linear_probing.hpp"

namespace offline {

template <typename KeyOf, typename Hash = std::hash<std::string_view>>
class SequenceIndex {
  public:
    explicit SequenceIndex(KeyOf key_of, Hash hash = Hash())
        : key_of_(std::move(key_of)), hash_(std::move(hash)), current_(kFirstSlots) {}

    // The sequence number kept under `key`, or kNone.
    std::uint64_t find(std::string_view key) {
        const std::uint64_t hash = hash_(key);
        if (Slot* slot = probe(current_, hash, key)) return slot->sequence();
        if (old_live_ == 0) return kNone;
        Slot* slot = probe(old_, hash, key);
        return slot == nullptr ? kNone : slot->sequence();
    }

    // Keeps `sequence` under `key`; returns what was there, or kNone. (One probe where a
    // find and a put would make two: each costs cache misses.)
    std::uint64_t exchange(std::string_view key, std::uint64_t sequence) {
        const std::uint64_t hash = hash_(key);
        move_old_slots();
        if (Slot* slot = probe(current_, hash, key)) {
            const std::uint64_t previous = slot->sequence();
            slot->stored = Slot::store(sequence);
            return previous;
        }
        std::uint64_t previous = kNone;
        if (old_live_ > 0) {
            if (Slot* slot = probe(old_, hash, key)) {
                previous = slot->sequence();
                slot->stored = Slot::kMoved;
                --old_live_;
            }
        }
        if ((current_live_ + 1) * 2 > current_.size()) start_generation();
        prepare_next();
        place(current_, Slot{hash, Slot::store(sequence)});
        ++current_live_;
        return previous;
    }

    // Erases `key` if `keep(sequence)` is false for what it holds; true when it did.
    template <typename Keep>
    bool erase_unless(std::string_view key, Keep keep) {
        const std::uint64_t hash = hash_(key);
        if (Slot* slot = probe(current_, hash, key)) {
            if (keep(slot->sequence())) return false;
            erase_by_shifting_back(current_.slots(), current_.size(),
                                   static_cast<std::size_t>(slot - current_.slots()),
                                   [](const Slot& slot) { return slot.stored == Slot::kEmpty; });
            --current_live_;
            return true;
        }
        if (old_live_ == 0) return false;
        Slot* slot = probe(old_, hash, key);
        if (slot == nullptr || keep(slot->sequence())) return false;
        slot->stored = Slot::kMoved;
        --old_live_;
        return true;
    }

    bool erase(std::string_view key) {
        return erase_unless(key, [](std::uint64_t) { return false; });
    }

    // Between batches: makes the next generation's table once it is wanted, populates its
    // pages a step (kPopulatedBytes) ahead of the puts, and gives back a finished old
    // generation's memory. Each is a system call (populating 64 KiB took 10 to 70 µs on the
    // VMs measured); here no stanza waits for it. An index never prepared makes and populates
    // its next table on its puts, as they need it, and keeps one emptied old table until the
    // next one empties (at most half the current table).
    void prepare_ahead() {
        if (retired_.size() > 0) retired_ = Table();
        if (next_.size() == 0) {
            if (!wants_next()) return;
            make_next();
        }
        const std::size_t wanted =
            std::min(next_.memory.size(), prepared_slots_ * sizeof(Slot) + kPopulatedBytes);
        while (populated_bytes_ < wanted) populate_next();
    }

    std::size_t size() const { return current_live_ + old_live_; }
    // Entries still waiting to move to the new generation (0 but while it grows).
    std::size_t moving() const { return old_live_; }
    // Generations that began before their table was populated ahead (its pages then fault in
    // one by one as they are first written).
    std::size_t unprepared_generations() const { return unprepared_generations_; }
    // Steps of the next table populated by a put, prepare_ahead() not having got there first.
    std::size_t populated_on_put() const { return populated_on_put_; }

    static constexpr std::uint64_t kNone = ~std::uint64_t{0};

  private:
    // All zero bytes is an empty slot: a new table is empty as it comes.
    struct Slot {
        std::uint64_t hash = 0;
        std::uint64_t stored = kEmpty;  // kEmpty, kMoved (old generation only), or store(seq)

        static constexpr std::uint64_t kEmpty = 0;
        static constexpr std::uint64_t kMoved = 1;
        static constexpr std::uint64_t store(std::uint64_t sequence) { return sequence + 2; }
        std::uint64_t sequence() const { return stored - 2; }
        bool holds_entry() const { return stored > kMoved; }
    };
    struct Table {
        Table() = default;
        explicit Table(std::size_t slots) : memory(slots * sizeof(Slot)) {}
        Slot* slots() const { return reinterpret_cast<Slot*>(memory.get()); }
        Slot& operator[](std::size_t at) const { return slots()[at]; }
        // In slots: a power of two, or 0 for no table (a moved-from one included).
        std::size_t size() const { return memory.size() / sizeof(Slot); }

        memory::ZeroedMemory memory;
    };

    static constexpr std::size_t kFirstSlots = 16;  // a power of two, as every size
    // Slots of the old generation looked at per put. It has C slots (C/2 entries), the new one
    // 2C and room for C entries: the old one is through after C/4 puts, when the new one
    // holds at most C/2 + C/4.
    static constexpr std::size_t kMovedPerPut = 4;
    // Slots of the next table made ready per put. Preparing starts at 3/8 of C entries, at
    // least C/8 puts before a new generation (at C/2): 2C slots take 16 a put; 32 leaves a
    // margin (entries moved in from the old generation count towards the 3/8 too).
    static constexpr std::size_t kPreparedPerPut = 32;
    static constexpr std::size_t kPopulatedBytes = 64 * 1024;

    Slot* probe(const Table& table, std::uint64_t hash, std::string_view key) {
        const std::size_t mask = table.size() - 1;
        for (std::size_t at = hash & mask; table[at].stored != Slot::kEmpty; at = (at + 1) & mask) {
            Slot& slot = table[at];
            if (slot.hash == hash && slot.holds_entry() && key_of_(slot.sequence()) == key)
                return &slot;
        }
        return nullptr;
    }

    static void place(const Table& table, Slot entry) {
        const std::size_t mask = table.size() - 1;
        std::size_t at = entry.hash & mask;
        while (table[at].stored != Slot::kEmpty) at = (at + 1) & mask;
        table[at] = entry;
    }

    void move_old_slots(std::size_t slots = kMovedPerPut) {
        for (; slots > 0 && old_live_ > 0 && cursor_ < old_.size(); --slots, ++cursor_) {
            Slot& slot = old_[cursor_];
            if (!slot.holds_entry()) continue;
            place(current_, slot);
            ++current_live_;
            slot.stored = Slot::kMoved;
            --old_live_;
        }
        // Through: the old generation's memory goes back at the next prepare_ahead().
        if (old_live_ == 0 && old_.size() > 0) retired_ = std::move(old_);
    }

    bool wants_next() const { return current_live_ * 8 >= current_.size() * 3; }

    void make_next() {
        next_ = Table(current_.size() * 2);
        prepared_slots_ = 0;
        // The allocator's memory (a small table) has no pages to populate.
        populated_bytes_ = next_.memory.mapped() ? 0 : next_.memory.size();
    }

    void populate_next() {
        next_.memory.populate(populated_bytes_, kPopulatedBytes);
        populated_bytes_ += kPopulatedBytes;
    }

    // On the put path: counts the next table's slots made ready, and makes or populates it
    // only where prepare_ahead() has not. It populates a step behind (so that a put which
    // finds the next table just made leaves its first pages to prepare_ahead() too), and
    // catches up once every slot is counted.
    void prepare_next() {
        if (next_.size() == 0) {
            if (!wants_next()) return;
            make_next();
        }
        if (prepared_slots_ >= next_.size()) return;
        prepared_slots_ = std::min(prepared_slots_ + kPreparedPerPut, next_.size());
        const std::size_t prepared_bytes = prepared_slots_ * sizeof(Slot);
        const std::size_t slack = prepared_slots_ == next_.size() ? 0 : kPopulatedBytes;
        while (prepared_bytes > populated_bytes_ + slack) {
            populate_next();
            ++populated_on_put_;
        }
    }

    void start_generation() {
        // Nothing is left to move by the arithmetic above; should it be, it moves now.
        move_old_slots(old_.size());
        if (next_.size() == 0) next_ = Table(current_.size() * 2);
        if (prepared_slots_ < next_.size()) ++unprepared_generations_;
        old_ = std::exchange(current_, std::move(next_));
        next_ = Table();
        prepared_slots_ = 0;
        old_live_ = std::exchange(current_live_, 0);
        cursor_ = 0;
    }

    KeyOf key_of_;
    Hash hash_;
    Table current_;
    std::size_t current_live_ = 0;
    Table old_;
    std::size_t old_live_ = 0;
    std::size_t cursor_ = 0;           // the next old slot to move
    Table retired_;                    // an old generation emptied since prepare_ahead()
    Table next_;                       // the next generation's table, populated ahead
    std::size_t prepared_slots_ = 0;   // of next_: counted towards its pages populated
    std::size_t populated_bytes_ = 0;  // of next_'s memory
    std::size_t unprepared_generations_ = 0;
    std::size_t populated_on_put_ = 0;
};

}  // namespace offline
