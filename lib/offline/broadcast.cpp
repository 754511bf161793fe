#include "offline/broadcast.hpp"

#include <algorithm>
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
    const std::size_t content_start = top.content_offset() != std::string_view::npos
                                          ? top.content_offset()
                                          : xml::start_tag_end(raw);
    std::string_view content =
        content_start == std::string_view::npos ? std::string_view() : raw.substr(content_start);
    std::uint64_t key = fnv(top.name.local);
    key ^= attributes * kPrime;
    // The content is most of a message's bytes: hashed a word at a time, not byte by byte.
    return (key ^ std::hash<std::string_view>{}(content)) * kPrime;
}

void LastBroadcastCopy::remember(std::string_view raw, xml::RawSpan to, const std::string& room,
                                 std::uint64_t key) {
    if (!to.known()) {
        to_ = {};
        return;
    }
    raw_.assign(raw);
    to_ = to;
    room_ = room;
    key_ = key;
}

bool LastBroadcastCopy::same_but_recipient(std::string_view raw, xml::RawSpan to) const {
    if (!to_.known() || !to.known() || to.offset != to_.offset) return false;
    const std::size_t after = to.offset + to.length;
    const std::size_t remembered_after = to_.offset + to_.length;
    if (raw.size() - after != raw_.size() - remembered_after) return false;
    const std::string_view kept(raw_);
    return raw.substr(0, to.offset) == kept.substr(0, to_.offset) &&
           raw.substr(after) == kept.substr(remembered_after);
}

std::uint64_t BroadcastTracker::recipient_id(std::string_view recipient) {
    // The occupancy's hash of the JID too: a copy's recipient is hashed once.
    return text_hash(recipient);
}

void BroadcastTracker::forget(const std::string& room) {
    last_found_.forget();
    auto node = rooms_.extract(room);
    if (!node.empty()) spare_ = std::move(node);
}

BroadcastTracker::Current* BroadcastTracker::find(const std::string& room) {
    if (Current* last = last_found_.find(room)) return last;
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return nullptr;
    last_found_.set(it->first, it->second);
    return &it->second;
}

BroadcastTracker::Current& BroadcastTracker::entry(const std::string& room) {
    if (Current* found = find(room)) return *found;
    auto it = spare_.empty() ? rooms_.try_emplace(room).first : [&] {
        spare_.key() = room;
        spare_.mapped().key = 0;
        spare_.mapped().recipients.clear();
        return rooms_.insert(std::move(spare_)).position;
    }();
    last_found_.set(it->first, it->second);
    return it->second;
}

void BroadcastTracker::start_message(const std::string& room, std::uint64_t key,
                                     std::uint64_t recipient) {
    Current& current = entry(room);
    current.key = key;
    current.recipients.clear();
    current.recipients.insert(recipient);
}

bool BroadcastTracker::continues(const std::string& room, std::uint64_t key,
                                 std::uint64_t recipient) {
    Current* current = find(room);
    if (current == nullptr || current->key != key || current->recipients.empty()) return false;
    return current->recipients.insert(recipient);
}

const RecipientSet* BroadcastTracker::recipients_of(const std::string& room) const {
    auto it = rooms_.find(room);
    return it == rooms_.end() ? nullptr : &it->second.recipients;
}

bool RecipientSet::insert(std::uint64_t id) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    const std::uint64_t value = stored(id);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = value & mask;; i = (i + 1) & mask) {
        if (slots_[i] == value) return false;
        if (slots_[i] == 0) {
            slots_[i] = value;
            ++size_;
            return true;
        }
    }
}

bool RecipientSet::contains(std::uint64_t id) const {
    if (size_ == 0) return false;
    const std::uint64_t value = stored(id);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = value & mask;; i = (i + 1) & mask) {
        if (slots_[i] == value) return true;
        if (slots_[i] == 0) return false;
    }
}

void RecipientSet::clear() {
    if (size_ == 0) return;
    if (slots_.size() > 64 && size_ * 16 < slots_.size()) {
        std::vector<std::uint64_t>(slots_.size() / 4).swap(slots_);
    } else {
        std::fill(slots_.begin(), slots_.end(), 0);
    }
    size_ = 0;
}

void RecipientSet::grow() {
    std::vector<std::uint64_t> old(std::max<std::size_t>(16, slots_.size() * 2));
    old.swap(slots_);
    size_ = 0;
    for (std::uint64_t value : old) {
        if (value != 0) insert(value);
    }
}

}  // namespace offline
