#include "offline/occupancy.hpp"

namespace offline {

void Occupancy::enter(const std::string& room, const std::string& full_jid, std::string_view nick,
                      xmpp::Decisions* out, std::optional<std::uint64_t> full_jid_hash) {
    // Checked before the room is made: a refused session must not leave an empty room behind.
    if (!RoomSessions::fits(full_jid, nick)) return;
    RoomSessions& sessions = room_for_entry(room);
    std::string_view kept_nick;
    const RoomSessions::Entered entered = sessions.enter(full_jid, nick, &kept_nick, full_jid_hash);
    if (entered == RoomSessions::Entered::unchanged || entered == RoomSessions::Entered::refused)
        return;
    if (entered == RoomSessions::Entered::added) ++session_count_;
    if (observer_ && out != nullptr)
        observer_(room, full_jid, kept_nick, entered == RoomSessions::Entered::added, *out);
}

RoomSessions& Occupancy::room_for_entry(const std::string& room) {
    if (Rooms::Entry* found = find_entry(room)) return found->value;
    last_found_.entry = &rooms_.find_or_add(room);
    return last_found_.entry->value;
}

void Occupancy::leave(std::string_view room, std::string_view full_jid, xmpp::Decisions* out) {
    Rooms::Entry* entry = find_entry(room);
    if (entry == nullptr || !entry->value.leave(full_jid)) return;
    --session_count_;
    const std::string room_name(entry->name());
    if (entry->value.empty()) {
        if (last_found_.entry == entry) last_found_.entry = nullptr;
        rooms_.erase(*entry);
    }
    if (observer_ && out != nullptr) observer_(room_name, full_jid, std::nullopt, false, *out);
}

void Occupancy::rename(std::string_view room, std::string_view full_jid, std::string_view new_nick,
                       xmpp::Decisions* out) {
    Rooms::Entry* entry = find_entry(room);
    if (entry == nullptr || !entry->value.rename(full_jid, new_nick)) return;
    if (observer_ && out != nullptr) observer_(entry->name(), full_jid, new_nick, false, *out);
}

Occupancy::Rooms::Entry* Occupancy::find_entry(std::string_view room) const {
    if (last_found_.entry != nullptr && last_found_.entry->name() == room) return last_found_.entry;
    Rooms::Entry* entry = rooms_.find(room);
    if (entry == nullptr) return nullptr;
    last_found_.entry = entry;
    entry->value.prefetch();
    return entry;
}

const RoomSessions* Occupancy::find_room(std::string_view room) const {
    const Rooms::Entry* entry = find_entry(room);
    return entry == nullptr ? nullptr : &entry->value;
}

std::optional<std::string> Occupancy::nick_of(std::string_view room,
                                              std::string_view full_jid) const {
    const RoomSessions* sessions = find_room(room);
    if (sessions == nullptr) return std::nullopt;
    const std::optional<std::string_view> nick = sessions->nick_of(full_jid);
    if (!nick) return std::nullopt;
    return std::string(*nick);
}

bool Occupancy::has_session_jid(std::string_view room, std::string_view text,
                                std::uint64_t text_hash) const {
    const RoomSessions* sessions = find_room(room);
    return sessions != nullptr && sessions->has_session(text, text_hash);
}

bool Occupancy::has_session_named(std::string_view room, std::string_view full_jid,
                                  std::string_view nick) const {
    const RoomSessions* sessions = find_room(room);
    if (sessions == nullptr) return false;
    const std::optional<std::string_view> known = sessions->nick_of(full_jid);
    return known && *known == nick;
}

bool Occupancy::is_present(std::string_view room, std::string_view bare_jid) const {
    const RoomSessions* sessions = find_room(room);
    return sessions != nullptr && sessions->has_member(bare_jid);
}

Occupancy::Presence Occupancy::presence_in(std::string_view room) const {
    Presence presence;
    presence.room_ = find_room(room);
    return presence;
}

bool Occupancy::Presence::has(std::string_view bare_jid) const {
    return room_ != nullptr && room_->has_member(bare_jid);
}

}  // namespace offline
