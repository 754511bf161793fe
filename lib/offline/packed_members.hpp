// Bare JIDs kept in one buffer, in the order they were added: a fan-out's copies cost one
// append each (no node, no string allocation, no hash). A fan-out adds its members in
// ascending order, so a lookup is a binary search over that run and a scan of whatever came
// later out of order (a late copy: rare).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace offline {

class PackedMembers {
  public:
    static constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

    // Offsets are 32-bit: a set holds at most 4 GiB of member bytes (a JID is at most 3 KiB).
    bool has_room_for(std::string_view member) const {
        return bytes_.size() + member.size() <= std::numeric_limits<std::uint32_t>::max();
    }
    // True when `member` goes after every member so far (the set stays one ascending run).
    bool keeps_ascending(std::string_view member) const {
        return entries_.empty() ||
               (ascending_ == entries_.size() && at(entries_.size() - 1) <= member);
    }
    // Precondition: has_room_for(member). Returns the member's index.
    std::size_t add(std::string_view member);
    // add() for a caller that checked keeps_ascending(member) already (once per copy is
    // enough: the comparison is most of add's cost).
    std::size_t add_ascending(std::string_view member) {
        entries_.push_back(Entry{static_cast<std::uint32_t>(bytes_.size()),
                                 static_cast<std::uint32_t>(member.size())});
        bytes_.append(member);
        ascending_ = entries_.size();
        return entries_.size() - 1;
    }

    std::size_t size() const { return entries_.size(); }
    // True when the whole set is one ascending run.
    bool ascending() const { return ascending_ == entries_.size(); }
    bool empty() const { return entries_.empty(); }
    std::string_view at(std::size_t index) const {
        const Entry& e = entries_[index];
        return std::string_view(bytes_).substr(e.offset, e.length);
    }
    // An index holding `member` for which `accept(index)` is true, or npos.
    template <typename Accept>
    std::size_t find(std::string_view member, Accept accept) const;
    bool contains(std::string_view member) const {
        return find(member, [](std::size_t) { return true; }) != npos;
    }
    // Keeps the buffers' capacity.
    void clear();
    // Becomes the first `count` members of `from`.
    void assign_prefix(const PackedMembers& from, std::size_t count);
    void reserve(std::size_t members, std::size_t bytes) {
        entries_.reserve(members);
        bytes_.reserve(bytes);
    }
    std::size_t bytes() const { return bytes_.size(); }
    // How many of the first members of this set and `other` are the same, in the same order.
    // Sets that share their start share its bytes and offsets too: two block comparisons
    // answer, where one comparison a member would cost a call each.
    std::size_t common_prefix(const PackedMembers& other) const;

  private:
    struct Entry {
        std::uint32_t offset;
        std::uint32_t length;
    };
    std::string bytes_;
    std::vector<Entry> entries_;
    std::size_t ascending_ = 0;  // entries_[0, ascending_) are in ascending order
};

template <typename Accept>
std::size_t PackedMembers::find(std::string_view member, Accept accept) const {
    // First of the ascending run not below `member`, then every equal one after it.
    std::size_t low = 0;
    std::size_t high = ascending_;
    while (low < high) {
        const std::size_t middle = low + (high - low) / 2;
        if (at(middle) < member) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    for (std::size_t i = low; i < ascending_ && at(i) == member; ++i) {
        if (accept(i)) return i;
    }
    for (std::size_t i = ascending_; i < entries_.size(); ++i) {
        if (at(i) == member && accept(i)) return i;
    }
    return npos;
}

}  // namespace offline
