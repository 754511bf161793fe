// Who registered with which room, under which nick, and whether they opted in to offline
// delivery. Keys are prepared bare JIDs (xmpp::parse_jid), so spellings compare equal.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "offline/room_table.hpp"
#include "xmpp/stanza_filter.hpp"

namespace offline {

struct Registration {
    std::string nick;
    bool offline = false;
    bool operator==(const Registration&) const = default;
};

class Registrations {
  public:
    // Called after every change made with decisions to add to: `now` is the new registration,
    // or null when it was removed; `why` says what removed it, or why a registration was set
    // other than by a commit. The observer adds what the change means (a record, a persist, a
    // note) to `out`, in place. A change without decisions (restoring what a store kept) is
    // not observed.
    using ChangeObserver =
        std::function<void(const std::string& room, const std::string& member,
                           const Registration* now, std::string_view why, xmpp::Decisions& out)>;
    void observe(ChangeObserver observer) { observer_ = std::move(observer); }

    const Registration* find(std::string_view room, std::string_view member) const;
    void set(const std::string& room, const std::string& member, Registration registration,
             std::string_view why = {}, xmpp::Decisions* out = nullptr);
    bool remove(std::string_view room, std::string_view member, std::string_view why,
                xmpp::Decisions* out = nullptr);
    std::size_t remove_room(std::string_view room, std::string_view why,
                            xmpp::Decisions* out = nullptr);

    // Members of `room` with offline == true, in a stable order. A template, not a
    // std::function: it runs once per copy of every fan-out.
    template <typename Visit>
    void for_each_opted_in(std::string_view room, Visit&& visit) const {
        const Rooms::Entry* r = rooms_.find(room);
        if (r == nullptr) return;
        for (const std::string* member : r->value.opted_in) visit(*member);
    }
    std::size_t size() const { return count_; }

  private:
    struct ByMember {
        bool operator()(const std::string* a, const std::string* b) const { return *a < *b; }
    };
    struct Room {
        // Ordered so that fan-out order is deterministic.
        std::map<std::string, Registration, std::less<>> members;
        // The opted-in members (keys of `members`, whose addresses are stable), in the same
        // order: a fan-out visits them only, however many others registered.
        std::set<const std::string*, ByMember> opted_in;
    };
    using Rooms = RoomTable<Room>;
    Rooms rooms_;
    std::size_t count_ = 0;
    ChangeObserver observer_;
};

}  // namespace offline
