// Traffic shaped like a busy MUC service: rooms with occupants present, members registered
// with each room, some of them opted in to offline delivery.
//
// Room r is room<r>@conference.localhost. Member i of room r is u<r>x<i>@localhost; members
// 0 .. occupants-1 are in the room as u<r>x<i>@localhost/phone with nick n<i>. The members
// listed in `opted_in` chose offline delivery; those at or above `occupants` are absent, so
// each message in their room is copied to them.
#pragma once

#include <memory>
#include <vector>

#include "script.hpp"

namespace bench {

struct RoomShape {
    int rooms = 1000;
    int occupants = 10;       // per room, present
    int registrations = 100;  // per room, members 0 .. registrations-1
    std::vector<int> opted_in = {0, 10};

    std::string room(int r) const;
    std::string member(int r, int i) const;  // bare JID
    std::uint64_t occupant_sessions() const;
    std::uint64_t total_registrations() const;
};

// The MUC's self-presences (status 110) for every occupant: what a MUC sends as they join.
std::unique_ptr<Script> joins(const RoomShape& shape);

// MUC -> server: each room message broadcast to the room's occupants (~600 bytes each), then
// an occupant's presence broadcast and an iq result; rooms take turns.
std::unique_ptr<Script> muc_broadcasts(const RoomShape& shape);

// muc_broadcasts with a guest (a JID the MUC never saw in the room) joining and leaving after
// each cycle: 2 stanzas in 14 are a new occupant's self-presence or its leave. With a store,
// each join is a commit the proxy's answer to that guest waits for.
std::unique_ptr<Script> guests_among_broadcasts(const RoomShape& shape);

// Server -> MUC: occupants' groupchat messages to their room (~600 bytes), presences to
// their nick, pings, and a share of registration form requests (XEP-0045 §7.10).
std::unique_ptr<Script> client_traffic(const RoomShape& shape);

// One room, fan@conference.localhost, with one occupant and `members` opted-in absent
// members f<k>@localhost: every message draws `members` copies.
struct FanoutShape {
    int members = 10;
};
std::string fanout_room();
std::string fanout_member(int k);  // bare JID
std::unique_ptr<Script> fanout_join();
std::unique_ptr<Script> fanout_messages(const FanoutShape& shape);

}  // namespace bench
