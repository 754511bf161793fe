#include "offline/registrations.hpp"

namespace offline {

const Registration* Registrations::find(std::string_view room, std::string_view member) const {
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return nullptr;
    auto m = r->second.members.find(member);
    return m == r->second.members.end() ? nullptr : &m->second;
}

void Registrations::set(const std::string& room, const std::string& member,
                        Registration registration, std::string_view why, xmpp::Decisions* out) {
    Room& r = rooms_[room];
    auto [it, inserted] = r.members.insert_or_assign(member, std::move(registration));
    if (inserted) ++count_;
    if (it->second.offline) {
        r.opted_in.insert(&it->first);
    } else {
        r.opted_in.erase(&it->first);
    }
    if (observer_ && out != nullptr) observer_(room, member, &it->second, why, *out);
}

bool Registrations::remove(std::string_view room, std::string_view member, std::string_view why,
                           xmpp::Decisions* out) {
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return false;
    auto m = r->second.members.find(member);
    if (m == r->second.members.end()) return false;
    const std::string removed_member = m->first;
    r->second.opted_in.erase(&m->first);
    r->second.members.erase(m);
    --count_;
    const std::string room_name = r->first;
    if (r->second.members.empty()) rooms_.erase(r);
    if (observer_ && out != nullptr) observer_(room_name, removed_member, nullptr, why, *out);
    return true;
}

std::size_t Registrations::remove_room(std::string_view room, std::string_view why,
                                       xmpp::Decisions* out) {
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return 0;
    std::size_t removed = r->second.members.size();
    count_ -= removed;
    auto members = std::move(r->second.members);
    const std::string room_name = r->first;
    rooms_.erase(r);
    if (observer_ && out != nullptr) {
        for (const auto& [member, registration] : members)
            observer_(room_name, member, nullptr, why, *out);
    }
    return removed;
}

}  // namespace offline
