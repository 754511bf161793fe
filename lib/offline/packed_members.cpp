#include "offline/packed_members.hpp"

#include <algorithm>

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

void PackedMembers::clear() {
    bytes_.clear();
    entries_.clear();
    ascending_ = 0;
}

}  // namespace offline
