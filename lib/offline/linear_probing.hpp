// Linear probing's deletion without tombstones, for the open-addressing tables here
// (RoomSessions' indexes, SequenceIndex): each slot has a `hash` field, its home is
// `hash & (size - 1)`, and `Slot{}` is a free slot.
#pragma once

#include <cstddef>
#include <vector>

namespace offline {

// Frees slots[gap]: the later slots of its run move back into the gap when their home allows,
// so that no probe needs a marker. `is_free(slot)` tells a free slot.
template <typename Slot, typename IsFree>
void erase_by_shifting_back(Slot* slots, std::size_t size, std::size_t gap, IsFree is_free) {
    const std::size_t mask = size - 1;
    for (std::size_t next = (gap + 1) & mask; !is_free(slots[next]); next = (next + 1) & mask) {
        const std::size_t home = slots[next].hash & mask;
        // Whether `home` lies cyclically in (gap, next]: then the entry must stay after gap.
        const bool stays =
            gap <= next ? (gap < home && home <= next) : (gap < home || home <= next);
        if (stays) continue;
        slots[gap] = slots[next];
        gap = next;
    }
    slots[gap] = Slot{};
}

template <typename Slot, typename IsFree>
void erase_by_shifting_back(std::vector<Slot>& slots, std::size_t gap, IsFree is_free) {
    erase_by_shifting_back(slots.data(), slots.size(), gap, is_free);
}

}  // namespace offline
