// Who is in which room: occupant sessions (room, full JID) -> nick, as the MUC's own
// presences and broadcasts show them. A member is present in a room when any session there
// has their bare JID.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "offline/string_keys.hpp"
#include "xmpp/stanza_filter.hpp"

namespace offline {

class Occupancy {
  public:
    // Called after a session begins, changes nick (`nick` set) or ends (`nick` null), when the
    // change was made with decisions to add what it means to (a record); a change without
    // (restoring what a store kept) is not observed.
    using ChangeObserver = std::function<void(const std::string& room, const std::string& full_jid,
                                              const std::string* nick, xmpp::Decisions& out)>;
    void observe(ChangeObserver observer) { observer_ = std::move(observer); }

    // Starts (or keeps, updating the nick) the session of `full_jid` in `room`.
    void enter(const std::string& room, const std::string& full_jid, std::string_view nick,
               xmpp::Decisions* out = nullptr);
    void leave(std::string_view room, std::string_view full_jid, xmpp::Decisions* out = nullptr);
    void rename(std::string_view room, std::string_view full_jid, std::string_view new_nick,
                xmpp::Decisions* out = nullptr);

    std::optional<std::string> nick_of(std::string_view room, std::string_view full_jid) const;
    bool is_present(std::string_view room, std::string_view bare_jid) const;
    std::size_t sessions() const { return session_count_; }
    // The full JIDs of the sessions in `room` that `pick` chooses (copies: the caller may
    // change occupancy next). Nothing is allocated when none is chosen.
    template <typename Pick>
    std::vector<std::string> full_jids_in(std::string_view room, Pick pick) const {
        std::vector<std::string> picked;
        auto r = rooms_.find(room);
        if (r == rooms_.end()) return picked;
        for (const auto& [full_jid, nick] : r->second.nick_by_full_jid) {
            if (pick(full_jid)) picked.push_back(full_jid);
        }
        return picked;
    }

  private:
    struct Room;

  public:
    // The members present in one room, looked up once for a loop that changes no occupancy
    // (valid until the next change).
    class Presence {
      public:
        bool has(std::string_view bare_jid) const;

      private:
        friend class Occupancy;
        const Room* room_ = nullptr;
    };
    Presence presence_in(std::string_view room) const;

  private:
    struct Room {
        StringKeyMap<std::string> nick_by_full_jid;
        // Keys view the bare part of one of the member's full JIDs above (node keys do not
        // move): no second copy of every JID.
        std::unordered_map<std::string_view, int, StringKeyHash, std::equal_to<>>
            sessions_by_bare_jid;
    };
    // `room`'s entry, made if need be; the copies of one broadcast enter the same room, so the
    // last one is kept (nodes do not move; it is forgotten when its room goes).
    Room& room_for_entry(const std::string& room);

    StringKeyMap<Room> rooms_;
    LastFound<Room> last_entered_;
    std::size_t session_count_ = 0;
    ChangeObserver observer_;
};

}  // namespace offline
