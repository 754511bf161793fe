// Rooms by name in one flat open-addressing table: a slot holds the name's hash and its entry,
// and the entry's first cache line holds the name (a heap block holds a longer one). A lookup
// in a room gone cold since its last stanza then reads the slot and that line. The node-based
// map it replaces read the bucket, the node before, the node, then the name's own heap block:
// at 50,000 stanzas/s each way through 1,000 rooms that was 8% of the proxy's time, most of it
// waiting for memory. Entries do not move while they exist, so a pointer to one stays valid
// until it is erased.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "offline/linear_probing.hpp"
#include "offline/string_keys.hpp"

namespace offline {

template <typename Value>
class RoomTable {
  public:
    static constexpr std::size_t kLineBytes = 64;

    class alignas(kLineBytes) Entry {
      public:
        std::string_view name() const {
            return {spilled_ ? spilled_.get() : inline_name_, length_};
        }
        Value value{};

      private:
        friend class RoomTable;
        explicit Entry(std::string_view name) : length_(name.size()) {
            char* to = inline_name_;
            if (name.size() > sizeof(inline_name_)) {
                spilled_ = std::make_unique<char[]>(name.size());
                to = spilled_.get();
            }
            if (!name.empty()) std::memcpy(to, name.data(), name.size());
        }

        std::unique_ptr<char[]> spilled_;
        std::size_t length_ = 0;
        char inline_name_[kLineBytes - sizeof(std::unique_ptr<char[]>) - sizeof(std::size_t)];
    };

    RoomTable() : slots_(kFirstSlots) {}
    RoomTable(const RoomTable&) = delete;
    RoomTable& operator=(const RoomTable&) = delete;
    // The entries go with the slots: pointers to them stay valid, into the new owner.
    RoomTable(RoomTable&& other) : RoomTable() { swap(other); }
    RoomTable& operator=(RoomTable&& other) {
        swap(other);
        return *this;
    }
    ~RoomTable() {
        for (Slot& slot : slots_) delete slot.entry;
    }

    Entry* find(std::string_view name) const { return find(name, text_hash(name)); }

    Entry& find_or_add(std::string_view name) {
        const std::uint64_t hash = text_hash(name);
        if (Entry* found = find(name, hash)) return *found;
        if ((size_ + 1) * 2 > slots_.size()) grow();
        auto* entry = new Entry(name);
        place(slots_, Slot{hash, entry});
        ++size_;
        return *entry;
    }

    // `entry` (one of this table's) goes; pointers to it become invalid.
    void erase(Entry& entry) {
        const std::uint64_t hash = text_hash(entry.name());
        const std::size_t mask = slots_.size() - 1;
        std::size_t at = hash & mask;
        while (slots_[at].entry != &entry) at = (at + 1) & mask;
        erase_by_shifting_back(slots_, at, [](const Slot& slot) { return slot.entry == nullptr; });
        delete &entry;
        --size_;
    }

    std::size_t size() const { return size_; }

    // A pointer to one of a table's entries, kept beside it by the table's owner: a copy or
    // move of the owner starts without it rather than point into another owner's table.
    class Remembered {
      public:
        Remembered() = default;
        Remembered(const Remembered&) {}
        Remembered& operator=(const Remembered&) {
            entry = nullptr;
            return *this;
        }
        Entry* entry = nullptr;
    };

  private:
    Entry* find(std::string_view name, std::uint64_t hash) const {
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t at = hash & mask; slots_[at].entry != nullptr; at = (at + 1) & mask) {
            const Slot& slot = slots_[at];
            if (slot.hash == hash && slot.entry->name() == name) return slot.entry;
        }
        return nullptr;
    }

    struct Slot {
        std::uint64_t hash = 0;
        Entry* entry = nullptr;  // owned; null for a free slot
    };
    static constexpr std::size_t kFirstSlots = 16;  // a power of two, as every size

    void swap(RoomTable& other) {
        slots_.swap(other.slots_);
        std::swap(size_, other.size_);
    }

    static void place(std::vector<Slot>& slots, Slot slot) {
        const std::size_t mask = slots.size() - 1;
        std::size_t at = slot.hash & mask;
        while (slots[at].entry != nullptr) at = (at + 1) & mask;
        slots[at] = slot;
    }

    // Rooms come one join at a time: doubling moves slots only (16 bytes each), no entry.
    void grow() {
        std::vector<Slot> larger(slots_.size() * 2);
        for (const Slot& slot : slots_)
            if (slot.entry != nullptr) place(larger, slot);
        slots_ = std::move(larger);
    }

    std::vector<Slot> slots_;
    std::size_t size_ = 0;
};

}  // namespace offline
