// Hash maps keyed by std::string that can be searched with a std::string_view, so a lookup
// on the hot path (one per copy in a fan-out) builds no temporary string.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace offline {

struct StringKeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {
        return std::hash<std::string_view>{}(key);
    }
};

template <typename Value>
using StringKeyMap = std::unordered_map<std::string, Value, StringKeyHash, std::equal_to<>>;
using StringKeySet = std::unordered_set<std::string, StringKeyHash, std::equal_to<>>;

}  // namespace offline
