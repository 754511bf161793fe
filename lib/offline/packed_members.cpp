#include "offline/packed_members.hpp"

namespace offline {

std::size_t PackedMembers::add(std::string_view member) {
    const bool ascending = keeps_ascending(member);
    entries_.push_back(Entry{static_cast<std::uint32_t>(bytes_.size()),
                             static_cast<std::uint32_t>(member.size()), 0});
    bytes_.append(member);
    if (ascending) ascending_ = entries_.size();
    return entries_.size() - 1;
}

void PackedMembers::clear() {
    bytes_.clear();
    entries_.clear();
    ascending_ = 0;
}

}  // namespace offline
