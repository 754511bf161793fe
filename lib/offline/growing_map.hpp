// A hash map that grows without a pause. std::unordered_map rehashes every node at once when it
// outgrows its buckets: at 50,000 entries that is milliseconds during which the event loop
// relays nothing (it was the proxy's periodic stall under steady traffic, from the index of
// copies awaiting a bounce). Here a full table becomes the old generation and a new one, with
// twice the buckets reserved, takes the inserts; each insert also moves two old entries over,
// so the old generation is empty before the new one could need buckets again.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <unordered_map>
#include <utility>

namespace offline {

template <typename Key, typename Value, typename Hash = std::hash<Key>,
          typename Equal = std::equal_to<Key>>
class GrowingMap {
    using Table = std::unordered_map<Key, Value, Hash, Equal>;

  public:
    GrowingMap() { current_.reserve(kFirstBuckets); }

    template <typename Lookup>
    Value* find(const Lookup& key) {
        if (auto it = current_.find(key); it != current_.end()) return &it->second;
        if (old_.empty()) return nullptr;
        auto it = old_.find(key);
        return it == old_.end() ? nullptr : &it->second;
    }

    // Inserts, or replaces an entry with an equal key (its key too: a key may view memory
    // the value's owner keeps).
    void put(const Key& key, Value value) {
        move_old_entries();
        erase(key);
        if (current_.size() + 1 > current_.bucket_count() * current_.max_load_factor())
            start_generation();
        current_.emplace(key, std::move(value));
    }

    template <typename Lookup>
    bool erase(const Lookup& key) {
        if (auto it = current_.find(key); it != current_.end()) {
            current_.erase(it);
            return true;
        }
        auto it = old_.find(key);
        if (it == old_.end()) return false;
        old_.erase(it);
        return true;
    }

    std::size_t size() const { return current_.size() + old_.size(); }
    // Entries still waiting to move to the new generation (0 but while it grows).
    std::size_t moving() const { return old_.size(); }

  private:
    static constexpr std::size_t kFirstBuckets = 16;
    static constexpr std::size_t kMovedPerInsert = 2;

    void move_old_entries() {
        for (std::size_t i = 0; i < kMovedPerInsert && !old_.empty(); ++i)
            current_.insert(old_.extract(old_.begin()));
        // An emptied generation gives its buckets back.
        if (old_.empty() && old_.bucket_count() > kFirstBuckets) Table().swap(old_);
    }

    void start_generation() {
        // The old generation drains at kMovedPerInsert entries an insert while the new one fills
        // to at most three quarters of its buckets, so this loop has nothing left to move.
        while (!old_.empty()) current_.insert(old_.extract(old_.begin()));
        Table next;
        next.reserve(std::max(kFirstBuckets, 2 * current_.size() + 1));
        old_ = std::exchange(current_, std::move(next));
    }

    Table current_;
    Table old_;
};

}  // namespace offline
