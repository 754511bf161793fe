#include "offline/packed_members.hpp"

#include <algorithm>
#include <cstring>

namespace offline {

std::size_t PackedMembers::add(std::string_view member) {
    const bool ascending = keeps_ascending(member);
    entries_.push_back(Entry{static_cast<std::uint32_t>(bytes_.size()),
                             static_cast<std::uint32_t>(member.size())});
    bytes_.append(member);
    if (ascending) ascending_ = entries_.size();
    return entries_.size() - 1;
}

void PackedMembers::assign_prefix(const PackedMembers& from, std::size_t count) {
    entries_.assign(from.entries_.begin(),
                    from.entries_.begin() + static_cast<std::ptrdiff_t>(count));
    const std::size_t bytes = count == 0 ? 0 : entries_.back().offset + entries_.back().length;
    bytes_.assign(from.bytes_, 0, bytes);
    ascending_ = std::min(from.ascending_, count);
}

std::size_t PackedMembers::common_prefix(const PackedMembers& other) const {
    const std::size_t count = std::min(size(), other.size());
    if (count == 0) return 0;
    const Entry& last = entries_[count - 1];
    const std::size_t bytes = last.offset + last.length;
    const bool all =
        std::memcmp(entries_.data(), other.entries_.data(), count * sizeof(Entry)) == 0 &&
        bytes <= other.bytes_.size() && std::memcmp(bytes_.data(), other.bytes_.data(), bytes) == 0;
    if (all) return count;
    std::size_t same = 0;
    while (same < count && at(same) == other.at(same)) ++same;
    return same;
}

void PackedMembers::clear() {
    bytes_.clear();
    entries_.clear();
    ascending_ = 0;
}

}  // namespace offline
