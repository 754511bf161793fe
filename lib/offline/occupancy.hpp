// Who is in which room: occupant sessions (room, full JID) -> nick, as the MUC's own
// presences and broadcasts show them. A member is present in a room when any session there
// has their bare JID.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "offline/room_sessions.hpp"
#include "offline/room_table.hpp"
#include "xmpp/stanza_filter.hpp"

namespace offline {

class Occupancy {
  public:
    // Called after a session begins (`began`), changes nick (`nick` set) or ends (`nick`
    // empty), when the change was made with decisions to add what it means to (a record); a
    // change without (restoring what a store kept) is not observed.
    using ChangeObserver =
        std::function<void(std::string_view room, std::string_view full_jid,
                           std::optional<std::string_view> nick, bool began, xmpp::Decisions& out)>;
    void observe(ChangeObserver observer) { observer_ = std::move(observer); }

    // Starts (or keeps, updating the nick) the session of `full_jid` in `room`;
    // `full_jid_hash`, when given, is text_hash(full_jid).
    void enter(const std::string& room, const std::string& full_jid, std::string_view nick,
               xmpp::Decisions* out = nullptr,
               std::optional<std::uint64_t> full_jid_hash = std::nullopt);
    void leave(std::string_view room, std::string_view full_jid, xmpp::Decisions* out = nullptr);
    void rename(std::string_view room, std::string_view full_jid, std::string_view new_nick,
                xmpp::Decisions* out = nullptr);

    std::optional<std::string> nick_of(std::string_view room, std::string_view full_jid) const;
    bool is_present(std::string_view room, std::string_view bare_jid) const;
    // Whether `text` is, byte for byte, the full JID of a session in `room` (`text_hash` is
    // text_hash(text)). Sessions are kept under prepared JIDs, so a text that matches one is
    // prepared already.
    bool has_session_jid(std::string_view room, std::string_view text,
                         std::uint64_t text_hash) const;
    // Whether the session of `full_jid` is in `room` under `nick` (nothing is copied).
    bool has_session_named(std::string_view room, std::string_view full_jid,
                           std::string_view nick) const;
    std::size_t sessions() const { return session_count_; }
    // The full JIDs of the sessions in `room` that pick(full JID, its text_hash) chooses
    // (copies: the caller may change occupancy next). Nothing is allocated when none is chosen.
    template <typename Pick>
    std::vector<std::string> full_jids_in(std::string_view room, Pick pick) const {
        std::vector<std::string> picked;
        const RoomSessions* sessions = find_room(room);
        if (sessions == nullptr) return picked;
        sessions->for_each_full_jid([&](std::string_view full_jid, std::uint64_t hash) {
            if (pick(full_jid, hash)) picked.emplace_back(full_jid);
        });
        return picked;
    }

    // The members present in one room, looked up once for a loop that changes no occupancy
    // (valid until the next change).
    class Presence {
      public:
        bool has(std::string_view bare_jid) const;

      private:
        friend class Occupancy;
        const RoomSessions* room_ = nullptr;
    };
    Presence presence_in(std::string_view room) const;

  private:
    // `room`'s entry, made if need be.
    RoomSessions& room_for_entry(const std::string& room);
    // `room`'s entry or null.
    const RoomSessions* find_room(std::string_view room) const;

    using Rooms = RoomTable<RoomSessions>;
    // `room`'s entry or null, the last one found first.
    Rooms::Entry* find_entry(std::string_view room) const;
    Rooms rooms_;
    // The entry found last: a broadcast's copies, then its end and its fan-out, ask about one
    // room in a row (entries do not move; it is forgotten when its room goes).
    mutable Rooms::Remembered last_found_;
    std::size_t session_count_ = 0;
    ChangeObserver observer_;
};

}  // namespace offline
