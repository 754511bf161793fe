#include "offline/room_sessions.hpp"

#include <cstring>
#include <functional>

#include "offline/linear_probing.hpp"
#include "offline/string_keys.hpp"
#include "xmpp/jid.hpp"

namespace offline {

namespace {

constexpr std::size_t kNotFound = static_cast<std::size_t>(-1);
constexpr std::size_t kMinSlots = 8;
// Up to 4 in 5 slots used: a probe for an absent member (the usual one in a fan-out) reads
// about a dozen slots, side by side in memory.
bool too_full(std::size_t used, std::size_t slots) {
    return used * 5 > slots * 4;
}

std::size_t slots_for(std::size_t used) {
    std::size_t slots = kMinSlots;
    while (too_full(used, slots)) slots *= 2;
    return slots;
}

std::uint32_t hash_of(std::string_view text) {
    return static_cast<std::uint32_t>(text_hash(text));
}

template <typename Slot>
bool is_free_slot(const Slot& slot) {
    return slot.session == 0;
}

// The slot of the session `matches` accepts (given its index), probing from `hash`'s home up
// to the first free slot; kNotFound if none.
template <typename Slot, typename Matches>
std::size_t find_slot(const std::vector<Slot>& slots, std::uint32_t hash, Matches matches) {
    if (slots.empty()) return kNotFound;
    const std::size_t mask = slots.size() - 1;
    for (std::size_t at = hash & mask; slots[at].session != 0; at = (at + 1) & mask) {
        if (slots[at].hash == hash && matches(slots[at].session - 1)) return at;
    }
    return kNotFound;
}

template <typename Slot>
std::size_t free_slot(const std::vector<Slot>& slots, std::uint32_t hash) {
    const std::size_t mask = slots.size() - 1;
    std::size_t at = hash & mask;
    while (slots[at].session != 0) at = (at + 1) & mask;
    return at;
}

}  // namespace

void RoomSessions::Session::set(std::string_view full_jid, std::string_view new_nick) {
    const std::size_t size = full_jid.size() + new_nick.size();
    std::unique_ptr<char[]> block;
    char* to = inline_text;
    if (size > kInlineBytes) {
        block = std::make_unique<char[]>(size);
        to = block.get();
    }
    // The old text may be what is copied (a rename): it goes only once copied, and moves onto
    // itself when it stays inline.
    std::memmove(to, full_jid.data(), full_jid.size());
    if (!new_nick.empty()) std::memmove(to + full_jid.size(), new_nick.data(), new_nick.size());
    full_length = static_cast<std::uint16_t>(full_jid.size());
    bare_length = static_cast<std::uint16_t>(xmpp::bare_part(full_jid).size());
    nick_length = static_cast<std::uint16_t>(new_nick.size());
    spilled = std::move(block);
}

std::size_t RoomSessions::find_full(std::string_view full_jid, std::uint32_t hash) const {
    return find_slot(by_full_jid_, hash,
                     [&](std::uint32_t index) { return sessions_[index].full_jid() == full_jid; });
}

std::size_t RoomSessions::find_member(std::string_view bare_jid, std::uint32_t hash) const {
    return find_slot(by_member_, hash,
                     [&](std::uint32_t index) { return sessions_[index].bare_jid() == bare_jid; });
}

RoomSessions::Entered RoomSessions::enter(std::string_view full_jid, std::string_view nick,
                                          std::string_view* kept_nick,
                                          std::optional<std::uint64_t> full_jid_hash) {
    if (!fits(full_jid, nick)) return Entered::refused;
    const std::uint64_t whole_hash = full_jid_hash ? *full_jid_hash : text_hash(full_jid);
    const auto hash = static_cast<std::uint32_t>(whole_hash);
    if (const std::size_t at = find_full(full_jid, hash); at != kNotFound) {
        Session& session = sessions_[by_full_jid_[at].session - 1];
        if (nick.empty() || session.nick() == nick) return Entered::unchanged;
        session.set(session.full_jid(), nick);
        if (kept_nick != nullptr) *kept_nick = session.nick();
        return Entered::renamed;
    }
    grow_for_one_more();
    Session added;
    added.set(full_jid, nick);
    added.full_hash = whole_hash;
    sessions_.push_back(std::move(added));
    const auto index = static_cast<std::uint32_t>(sessions_.size() - 1);
    by_full_jid_[free_slot(by_full_jid_, hash)] = FullSlot{hash, index + 1};
    index_member(index);
    if (kept_nick != nullptr) *kept_nick = sessions_[index].nick();
    return Entered::added;
}

bool RoomSessions::leave(std::string_view full_jid) {
    const std::size_t at = find_full(full_jid, hash_of(full_jid));
    if (at == kNotFound) return false;
    remove(by_full_jid_[at].session - 1);
    shrink_if_sparse();
    return true;
}

bool RoomSessions::rename(std::string_view full_jid, std::string_view nick) {
    if (!fits(full_jid, nick)) return false;
    const std::size_t at = find_full(full_jid, hash_of(full_jid));
    if (at == kNotFound) return false;
    Session& session = sessions_[by_full_jid_[at].session - 1];
    session.set(session.full_jid(), nick);
    return true;
}

std::optional<std::string_view> RoomSessions::nick_of(std::string_view full_jid) const {
    const std::size_t at = find_full(full_jid, hash_of(full_jid));
    if (at == kNotFound) return std::nullopt;
    return sessions_[by_full_jid_[at].session - 1].nick();
}

void RoomSessions::prefetch() const {
    // A bound: a room of hundreds would load kilobytes that one copy in each broadcast needs
    // (kSessionBytes is a cache line; the index's slots take 8 to a line).
    constexpr std::size_t kSessions = 16;
    constexpr std::size_t kIndexLines = 4;
    constexpr std::size_t kSlotsPerLine = kSessionBytes / sizeof(FullSlot);
    for (std::size_t at = 0; at < by_full_jid_.size() && at < kIndexLines * kSlotsPerLine;
         at += kSlotsPerLine)
        __builtin_prefetch(&by_full_jid_[at]);
    for (std::size_t at = 0; at < sessions_.size() && at < kSessions; ++at)
        __builtin_prefetch(&sessions_[at]);
}

bool RoomSessions::has_session(std::string_view full_jid, std::uint64_t full_jid_hash) const {
    return find_full(full_jid, static_cast<std::uint32_t>(full_jid_hash)) != kNotFound;
}

bool RoomSessions::has_member(std::string_view bare_jid) const {
    // A room with a handful of sessions (the usual case when many members are absent) is
    // searched by comparing lengths first: cheaper than hashing every absent member.
    if (sessions_.size() <= 8) {
        for (const Session& s : sessions_) {
            if (s.bare_length == bare_jid.size() && s.bare_jid() == bare_jid) return true;
        }
        return false;
    }
    return find_member(bare_jid, hash_of(bare_jid)) != kNotFound;
}

void RoomSessions::index_member(std::uint32_t session) {
    const std::string_view bare = sessions_[session].bare_jid();
    const std::uint32_t hash = hash_of(bare);
    if (const std::size_t at = find_member(bare, hash); at != kNotFound) {
        ++by_member_[at].sessions;
        return;
    }
    by_member_[free_slot(by_member_, hash)] = MemberSlot{hash, session + 1, 1};
    ++members_;
}

void RoomSessions::unindex_member(std::uint32_t session) {
    const std::string_view bare = sessions_[session].bare_jid();
    const std::size_t at = find_member(bare, hash_of(bare));
    if (at == kNotFound) return;
    MemberSlot& slot = by_member_[at];
    if (--slot.sessions == 0) {
        erase_by_shifting_back(by_member_, at, is_free_slot<MemberSlot>);
        --members_;
        return;
    }
    if (slot.session != session + 1) return;
    // The slot named the session that goes: it names another of the member's from now on.
    for (std::uint32_t other = 0; other < sessions_.size(); ++other) {
        if (other != session && sessions_[other].bare_jid() == bare) {
            slot.session = other + 1;
            return;
        }
    }
}

void RoomSessions::remove(std::uint32_t index) {
    erase_by_shifting_back(by_full_jid_,
                           find_full(sessions_[index].full_jid(),
                                     static_cast<std::uint32_t>(sessions_[index].full_hash)),
                           is_free_slot<FullSlot>);
    unindex_member(index);
    const auto last = static_cast<std::uint32_t>(sessions_.size() - 1);
    if (index != last) {
        // The last session moves into the gap: its slots name it at its new place.
        const Session& moved = sessions_[last];
        by_full_jid_[find_full(moved.full_jid(), static_cast<std::uint32_t>(moved.full_hash))]
            .session = index + 1;
        const std::string_view bare = moved.bare_jid();
        MemberSlot& member = by_member_[find_member(bare, hash_of(bare))];
        if (member.session == last + 1) member.session = index + 1;
        sessions_[index] = std::move(sessions_[last]);
    }
    sessions_.pop_back();
}

void RoomSessions::grow_for_one_more() {
    // members_ + 1: the session to come may be a new member's.
    if (!too_full(sessions_.size() + 1, by_full_jid_.size()) &&
        !too_full(members_ + 1, by_member_.size()))
        return;
    rebuild(slots_for(sessions_.size() + 1), slots_for(members_ + 1));
}

void RoomSessions::shrink_if_sparse() {
    if (sessions_.empty()) {
        std::vector<Session>().swap(sessions_);
        std::vector<FullSlot>().swap(by_full_jid_);
        std::vector<MemberSlot>().swap(by_member_);
        members_ = 0;
        return;
    }
    if (by_full_jid_.size() <= kMinSlots || sessions_.size() * 8 > by_full_jid_.size()) return;
    sessions_.shrink_to_fit();
    rebuild(slots_for(sessions_.size()), slots_for(members_));
}

void RoomSessions::rebuild(std::size_t full_slots, std::size_t member_slots) {
    by_full_jid_.assign(full_slots, FullSlot{});
    by_member_.assign(member_slots, MemberSlot{});
    members_ = 0;
    for (std::uint32_t index = 0; index < sessions_.size(); ++index) {
        const auto hash = static_cast<std::uint32_t>(sessions_[index].full_hash);
        by_full_jid_[free_slot(by_full_jid_, hash)] = FullSlot{hash, index + 1};
        index_member(index);
    }
}

}  // namespace offline
