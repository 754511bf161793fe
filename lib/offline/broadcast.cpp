#include "offline/broadcast.hpp"

#include <array>
#include <functional>

#include "xml/start_tag.hpp"

namespace offline {
namespace {

// FNV-1a, 64 bit: fast, good enough to tell messages apart within one room.
constexpr std::uint64_t kOffset = 14695981039346656037ull;
constexpr std::uint64_t kPrime = 1099511628211ull;

std::uint64_t fnv(std::string_view bytes, std::uint64_t hash = kOffset) {
    for (unsigned char c : bytes) {
        hash ^= c;
        hash *= kPrime;
    }
    return hash;
}

std::uint64_t attribute_hash(const xml::Attribute& a) {
    std::uint64_t h = fnv(a.name.ns);
    h = fnv("\x01", h);
    h = fnv(a.name.local, h);
    h = fnv("\x01", h);
    return fnv(a.value, h);
}

}  // namespace

std::uint64_t broadcast_key(const xml::ElementView& top, std::string_view raw) {
    // Summing per-attribute hashes makes the key independent of attribute order.
    std::uint64_t attributes = 0;
    for (const xml::Attribute& a : top.attributes()) {
        if (a.name.ns.empty() && a.name.local == "to") continue;
        attributes += attribute_hash(a);
    }
    std::size_t content_start = xml::start_tag_end(raw);
    std::string_view content =
        content_start == std::string_view::npos ? std::string_view() : raw.substr(content_start);
    std::uint64_t key = fnv(top.name.local);
    key ^= attributes * kPrime;
    // The content is most of a message's bytes: hashed a word at a time, not byte by byte.
    return (key ^ std::hash<std::string_view>{}(content)) * kPrime;
}

void BroadcastTracker::forget(const std::string& room) {
    auto node = rooms_.extract(room);
    if (!node.empty()) spare_ = std::move(node);
}

BroadcastTracker::Current& BroadcastTracker::entry(const std::string& room) {
    auto it = rooms_.find(room);
    if (it != rooms_.end()) return it->second;
    if (spare_.empty()) return rooms_[room];
    spare_.key() = room;
    spare_.mapped().key = 0;
    spare_.mapped().recipients.clear();
    return rooms_.insert(std::move(spare_)).position->second;
}

bool BroadcastTracker::is_new_message(const std::string& room, std::uint64_t key,
                                      std::string_view recipient) {
    Current& current = entry(room);
    std::uint64_t who = fnv(recipient);
    if (current.key == key && !current.recipients.empty()) {
        if (current.recipients.insert(who).second) return false;
    }
    current.key = key;
    current.recipients.clear();
    current.recipients.insert(who);
    return true;
}

bool BroadcastTracker::would_start_new(const std::string& room, std::uint64_t key,
                                       std::string_view recipient) const {
    auto it = rooms_.find(room);
    if (it == rooms_.end() || it->second.key != key || it->second.recipients.empty()) return true;
    return it->second.recipients.contains(fnv(recipient));
}

bool BroadcastTracker::reached(const std::string& room, std::string_view recipient) const {
    auto it = rooms_.find(room);
    return it != rooms_.end() && it->second.recipients.contains(fnv(recipient));
}

}  // namespace offline
