#include "offline/registrations.hpp"

namespace offline {

const Registration* Registrations::find(std::string_view room, std::string_view member) const {
    const Rooms::Entry* r = rooms_.find(room);
    if (r == nullptr) return nullptr;
    auto m = r->value.members.find(member);
    return m == r->value.members.end() ? nullptr : &m->second;
}

void Registrations::set(const std::string& room, const std::string& member,
                        Registration registration, std::string_view why, xmpp::Decisions* out) {
    Room& r = rooms_.find_or_add(room).value;
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
    Rooms::Entry* r = rooms_.find(room);
    if (r == nullptr) return false;
    auto m = r->value.members.find(member);
    if (m == r->value.members.end()) return false;
    const std::string removed_member = m->first;
    r->value.opted_in.erase(&m->first);
    r->value.members.erase(m);
    --count_;
    const std::string room_name(r->name());
    if (r->value.members.empty()) rooms_.erase(*r);
    if (observer_ && out != nullptr) observer_(room_name, removed_member, nullptr, why, *out);
    return true;
}

std::size_t Registrations::remove_room(std::string_view room, std::string_view why,
                                       xmpp::Decisions* out) {
    Rooms::Entry* r = rooms_.find(room);
    if (r == nullptr) return 0;
    std::size_t removed = r->value.members.size();
    count_ -= removed;
    auto members = std::move(r->value.members);
    const std::string room_name(r->name());
    rooms_.erase(*r);
    if (observer_ && out != nullptr) {
        for (const auto& [member, registration] : members)
            observer_(room_name, member, nullptr, why, *out);
    }
    return removed;
}

}  // namespace offline
