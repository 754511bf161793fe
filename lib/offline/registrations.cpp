#include "offline/registrations.hpp"

namespace offline {

const Registration* Registrations::find(std::string_view room, std::string_view member) const {
    auto r = rooms_.find(std::string(room));
    if (r == rooms_.end()) return nullptr;
    auto m = r->second.find(member);
    return m == r->second.end() ? nullptr : &m->second;
}

void Registrations::set(const std::string& room, const std::string& member,
                        Registration registration) {
    auto& members = rooms_[room];
    auto [it, inserted] = members.insert_or_assign(member, std::move(registration));
    if (inserted) ++count_;
    if (observer_) observer_(room, member, &it->second);
}

bool Registrations::remove(std::string_view room, std::string_view member) {
    auto r = rooms_.find(std::string(room));
    if (r == rooms_.end()) return false;
    auto m = r->second.find(member);
    if (m == r->second.end()) return false;
    const std::string removed_member = m->first;
    r->second.erase(m);
    --count_;
    const std::string room_name = r->first;
    if (r->second.empty()) rooms_.erase(r);
    if (observer_) observer_(room_name, removed_member, nullptr);
    return true;
}

std::size_t Registrations::remove_room(std::string_view room) {
    auto r = rooms_.find(std::string(room));
    if (r == rooms_.end()) return 0;
    std::size_t removed = r->second.size();
    count_ -= removed;
    auto members = std::move(r->second);
    const std::string room_name = r->first;
    rooms_.erase(r);
    if (observer_) {
        for (const auto& [member, registration] : members) observer_(room_name, member, nullptr);
    }
    return removed;
}

void Registrations::for_each_opted_in(
    std::string_view room, const std::function<void(const std::string& member)>& visit) const {
    auto r = rooms_.find(std::string(room));
    if (r == rooms_.end()) return;
    for (const auto& [member, registration] : r->second) {
        if (registration.offline) visit(member);
    }
}

}  // namespace offline
