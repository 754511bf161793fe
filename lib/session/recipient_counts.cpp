#include "session/recipient_counts.hpp"

namespace session {

namespace {

constexpr std::size_t kFirstSize = 64;
// Past this many slots, an emptied table goes back to the allocator.
constexpr std::size_t kKeptSlots = 4096;

}  // namespace

std::size_t RecipientCounts::slot_of(std::uint64_t hash) const {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = static_cast<std::size_t>(hash) & mask;
    while (slots_[i].hash != 0 && slots_[i].hash != hash) i = (i + 1) & mask;
    return i;
}

void RecipientCounts::add(std::uint64_t recipient) {
    const std::uint64_t hash = stored(recipient);
    if (!slots_.empty()) {
        Slot& slot = slots_[slot_of(hash)];
        if (slot.hash == hash) {
            if (slot.count++ == 0) ++live_;
            return;
        }
    }
    // At most half full, so a probe ends soon on a free slot.
    if ((used_ + 1) * 2 > slots_.size()) make_room();
    Slot& slot = slots_[slot_of(hash)];
    slot = Slot{hash, 1};
    ++used_;
    ++live_;
}

void RecipientCounts::remove(std::uint64_t recipient) {
    if (slots_.empty()) return;
    Slot& slot = slots_[slot_of(stored(recipient))];
    if (slot.hash == 0 || slot.count == 0) return;
    if (--slot.count == 0) --live_;
}

bool RecipientCounts::contains(std::uint64_t recipient) const {
    if (live_ == 0) return false;
    const Slot& slot = slots_[slot_of(stored(recipient))];
    return slot.hash != 0 && slot.count > 0;
}

void RecipientCounts::release_if_large() {
    if (live_ > 0 || slots_.size() <= kKeptSlots) return;
    std::vector<Slot>().swap(slots_);
    used_ = 0;
}

// Linear overall: the table left is at most a quarter full, so at least a quarter of its size
// in new hashes comes before the next call.
void RecipientCounts::make_room() {
    std::size_t size = slots_.empty() ? kFirstSize : slots_.size();
    while ((live_ + 1) * 4 > size) size *= 2;
    std::vector<Slot> old(size);
    old.swap(slots_);
    used_ = 0;
    for (const Slot& slot : old) {
        if (slot.count == 0) continue;
        slots_[slot_of(slot.hash)] = slot;
        ++used_;
    }
}

}  // namespace session
