// Hash maps keyed by std::string that can be searched with a std::string_view, so a lookup
// on the hot path (one per copy in a fan-out) builds no temporary string.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace offline {

// The one hash of a JID (or any key) across the offline tables: a broadcast copy's recipient is
// hashed once, for the broadcast tracker and for the occupancy both.
inline std::uint64_t text_hash(std::string_view text) {
    return std::hash<std::string_view>{}(text);
}

struct StringKeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return text_hash(key); }
};

template <typename Value>
using StringKeyMap = std::unordered_map<std::string, Value, StringKeyHash, std::equal_to<>>;
using StringKeySet = std::unordered_set<std::string, StringKeyHash, std::equal_to<>>;

// The entry a table lookup found last, so that the same key again skips the hash (the copies
// of one broadcast all name one room). Map nodes do not move, so it stays valid until its
// entry is erased (forget() then). It points into its owner's table: a copy of the owner
// starts without it.
template <typename Value>
class LastFound {
  public:
    LastFound() = default;
    LastFound(const LastFound&) {}
    LastFound& operator=(const LastFound&) {
        forget();
        return *this;
    }

    Value* find(std::string_view key) const {
        return value_ != nullptr && *key_ == key ? value_ : nullptr;
    }
    void set(const std::string& key, Value& value) {
        key_ = &key;
        value_ = &value;
    }
    void forget() {
        key_ = nullptr;
        value_ = nullptr;
    }
    bool is(const Value* value) const { return value_ == value; }

  private:
    const std::string* key_ = nullptr;
    Value* value_ = nullptr;
};

}  // namespace offline
