#include "offline/occupancy.hpp"

#include "xmpp/jid.hpp"

namespace offline {
void Occupancy::enter(const std::string& room, const std::string& full_jid, std::string_view nick,
                      xmpp::Decisions* out) {
    Room& r = room_for_entry(room);
    auto [it, inserted] = r.nick_by_full_jid.try_emplace(full_jid, nick);
    if (!inserted) {
        if (!nick.empty() && it->second != nick) {
            it->second.assign(nick);
            if (observer_ && out != nullptr) observer_(room, full_jid, &it->second, *out);
        }
        return;
    }
    ++r.sessions_by_bare_jid[xmpp::bare_part(it->first)];
    ++session_count_;
    if (observer_ && out != nullptr) observer_(room, full_jid, &it->second, *out);
}

Occupancy::Room& Occupancy::room_for_entry(const std::string& room) {
    if (Room* last = last_entered_.find(room)) return *last;
    auto it = rooms_.try_emplace(room).first;
    last_entered_.set(it->first, it->second);
    return it->second;
}

void Occupancy::leave(std::string_view room, std::string_view full_jid, xmpp::Decisions* out) {
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return;
    auto s = r->second.nick_by_full_jid.find(full_jid);
    if (s == r->second.nick_by_full_jid.end()) return;
    const std::string left = s->first;
    auto& bare_jids = r->second.sessions_by_bare_jid;
    auto b = bare_jids.find(xmpp::bare_part(left));
    if (b != bare_jids.end()) {
        if (--b->second == 0) {
            bare_jids.erase(b);
        } else if (b->first.data() == s->first.data()) {
            // The key views the JID that goes: view another session of the same member.
            for (const auto& [other, nick] : r->second.nick_by_full_jid) {
                if (other.data() != s->first.data() && xmpp::bare_part(other) == b->first) {
                    auto node = bare_jids.extract(b);
                    node.key() = xmpp::bare_part(other);
                    bare_jids.insert(std::move(node));
                    break;
                }
            }
        }
    }
    r->second.nick_by_full_jid.erase(s);
    --session_count_;
    const std::string room_name = r->first;
    if (r->second.nick_by_full_jid.empty()) {
        if (last_entered_.is(&r->second)) last_entered_.forget();
        rooms_.erase(r);
    }
    if (observer_ && out != nullptr) observer_(room_name, left, nullptr, *out);
}

void Occupancy::rename(std::string_view room, std::string_view full_jid, std::string_view new_nick,
                       xmpp::Decisions* out) {
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return;
    auto s = r->second.nick_by_full_jid.find(full_jid);
    if (s == r->second.nick_by_full_jid.end()) return;
    s->second.assign(new_nick);
    if (observer_ && out != nullptr) observer_(r->first, s->first, &s->second, *out);
}

std::optional<std::string> Occupancy::nick_of(std::string_view room,
                                              std::string_view full_jid) const {
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return std::nullopt;
    auto s = r->second.nick_by_full_jid.find(full_jid);
    if (s == r->second.nick_by_full_jid.end()) return std::nullopt;
    return s->second;
}

bool Occupancy::is_present(std::string_view room, std::string_view bare_jid) const {
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return false;
    return r->second.sessions_by_bare_jid.contains(bare_jid);
}

Occupancy::Presence Occupancy::presence_in(std::string_view room) const {
    Presence presence;
    auto r = rooms_.find(room);
    if (r != rooms_.end()) presence.room_ = &r->second;
    return presence;
}

bool Occupancy::Presence::has(std::string_view bare_jid) const {
    if (room_ == nullptr) return false;
    const auto& present = room_->sessions_by_bare_jid;
    // A room with a handful of members present (the usual case when many are absent) is
    // searched by comparing lengths first: cheaper than hashing every absent member.
    if (present.size() <= 8) {
        for (const auto& [member, sessions] : present) {
            if (member.size() == bare_jid.size() && member == bare_jid) return true;
        }
        return false;
    }
    return present.contains(bare_jid);
}

}  // namespace offline

namespace offline {}  // namespace offline
