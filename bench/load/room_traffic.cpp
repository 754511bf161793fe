#include "room_traffic.hpp"

#include <algorithm>

namespace bench {
namespace {

// ~450 bytes of body with entities and quotes, so a relay that re-serializes would show.
constexpr std::string_view kBody =
    "Morning all &amp; welcome back. Quick recap of yesterday&apos;s call: the release branch is "
    "cut, the &lt;stanza&gt; size limit stays at one mebibyte, and the migration notes go out "
    "after lunch. If your client shows \"message not delivered\" for the room, please send the "
    "log to the channel; we think it is the push service, not the server. Next call is on "
    "Thursday at the usual time, same link as always. Bring questions about the rollout plan "
    "and about the new registration form, thanks!";

void room_jid(std::string& out, int r) {
    out += "room";
    append_number(out, static_cast<std::uint64_t>(r));
    out += '@';
    out += kDomain;
}

void user_bare(std::string& out, int r, int i) {
    out += 'u';
    append_number(out, static_cast<std::uint64_t>(r));
    out += 'x';
    append_number(out, static_cast<std::uint64_t>(i));
    out += "@localhost";
}

// The MUC's presence telling `to_full` about its own session as `nick` (status 110): it
// began, or with `ended` it is over.
void muc_presence(std::string& out, std::string_view room, std::string_view nick,
                  std::string_view to_full, bool ended = false) {
    out += ended ? "<presence type='unavailable' from='" : "<presence from='";
    out += room;
    out += '/';
    out += nick;
    out += "' to='";
    out += to_full;
    out += ended ? "'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' "
                   "role='none'/><status code='110'/></x></presence>"
                 : "'><x xmlns='http://jabber.org/protocol/muc#user'><item "
                   "affiliation='member' role='participant'/><status code='110'/></x></presence>";
}

void groupchat(std::string& out, std::string_view from, std::string_view to, std::uint64_t id,
               std::string_view stanza_id_by) {
    out += "<message from='";
    out += from;
    out += "' to='";
    out += to;
    out += "' type='groupchat' id='m";
    append_number(out, id);
    out += "'><body>";
    out += kBody;
    out += "</body>";
    if (!stanza_id_by.empty()) {
        out += "<stanza-id xmlns='urn:xmpp:sid:0' by='";
        out += stanza_id_by;
        out += "' id='s";
        append_number(out, id);
        out += "'/>";
    }
    out += "</message>";
}

class Joins : public Script {
  public:
    explicit Joins(RoomShape shape) : shape_(std::move(shape)) {}
    void append(std::uint64_t seq, std::string& out) const override {
        const int r = static_cast<int>(seq / shape_.occupants);
        const int i = static_cast<int>(seq % shape_.occupants);
        std::string room, nick = "n" + std::to_string(i), to;
        room_jid(room, r);
        user_bare(to, r, i);
        to += "/phone";
        muc_presence(out, room, nick, to);
    }

  private:
    RoomShape shape_;
};

class MucBroadcasts : public Script {
  public:
    explicit MucBroadcasts(RoomShape shape) : shape_(std::move(shape)) {
        for (int r = 0; r < shape_.rooms; ++r) {
            std::vector<std::string> absent;
            for (int i : shape_.opted_in) {
                if (i >= shape_.occupants && i < shape_.registrations)
                    absent.push_back(shape_.member(r, i));
            }
            copies_.push_back(std::make_unique<CopyTargets>(std::move(absent)));
        }
    }
    // A cycle: the message to each occupant, one presence broadcast, one iq result.
    std::uint64_t cycle() const { return static_cast<std::uint64_t>(shape_.occupants) + 2; }

    void append(std::uint64_t seq, std::string& out) const override {
        const std::uint64_t message = seq / cycle();
        const int slot = static_cast<int>(seq % cycle());
        const int r = static_cast<int>(message % static_cast<std::uint64_t>(shape_.rooms));
        std::string room;
        room_jid(room, r);
        if (slot < shape_.occupants) {
            const int speaker = static_cast<int>(message / shape_.rooms % shape_.occupants);
            std::string from = room + "/n" + std::to_string(speaker), to;
            user_bare(to, r, slot);
            to += "/phone";
            groupchat(out, from, to, message, room);
        } else if (slot == shape_.occupants) {
            const int who = static_cast<int>(message % shape_.occupants);
            const int whom = static_cast<int>((message + 1) % shape_.occupants);
            out += "<presence from='";
            out += room;
            out += "/n";
            append_number(out, static_cast<std::uint64_t>(who));
            out += "' to='";
            user_bare(out, r, whom);
            out +=
                "/phone'><show>away</show><status>in a meeting</status><x "
                "xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' "
                "role='participant'/></x></presence>";
        } else {
            out += "<iq from='";
            out += room;
            out += "' to='";
            user_bare(out, r, static_cast<int>(message % shape_.occupants));
            out += "/phone' type='result' id='t";
            append_number(out, message);
            out +=
                "'><time xmlns='urn:xmpp:time'><tzo>+00:00</tzo><utc>2026-11-25T20:30:00Z</utc>"
                "</time></iq>";
        }
    }
    std::int64_t broadcast_of(std::uint64_t seq) const override {
        if (seq % cycle() >= static_cast<std::uint64_t>(shape_.occupants)) return -1;
        return static_cast<std::int64_t>(seq / cycle());
    }
    const CopyTargets* copies_of(std::uint64_t seq) const override {
        return copies_[seq / cycle() % static_cast<std::uint64_t>(shape_.rooms)].get();
    }

  private:
    RoomShape shape_;
    std::vector<std::unique_ptr<CopyTargets>> copies_;
};

// MucBroadcasts with occupants coming and going: after each cycle a guest joins the room (the
// MUC's self-presence to a full JID it has not seen) and leaves it again. 2 stanzas in 14.
class GuestsAmongBroadcasts : public Script {
  public:
    explicit GuestsAmongBroadcasts(const RoomShape& shape)
        : broadcasts_(shape), rooms_(static_cast<std::uint64_t>(shape.rooms)) {}
    static constexpr std::uint64_t kGuestStanzas = 2;

    void append(std::uint64_t seq, std::string& out) const override {
        const std::uint64_t cycle = seq / period(), slot = seq % period();
        if (slot < broadcasts_.cycle()) {
            broadcasts_.append(cycle * broadcasts_.cycle() + slot, out);
            return;
        }
        std::string room, nick = "g", guest = "guest";
        room_jid(room, static_cast<int>(cycle % rooms_));
        append_number(nick, cycle);
        append_number(guest, cycle);
        guest += "@localhost/phone";
        if (slot == broadcasts_.cycle()) {
            muc_presence(out, room, nick, guest);
            return;
        }
        muc_presence(out, room, nick, guest, true);
    }
    std::int64_t broadcast_of(std::uint64_t seq) const override {
        const std::uint64_t slot = seq % period();
        if (slot >= broadcasts_.cycle()) return -1;
        return broadcasts_.broadcast_of(seq / period() * broadcasts_.cycle() + slot);
    }
    const CopyTargets* copies_of(std::uint64_t seq) const override {
        return broadcasts_.copies_of(seq / period() * broadcasts_.cycle() + seq % period());
    }
    bool may_arrive_late(std::uint64_t seq) const override {
        return seq % period() >= broadcasts_.cycle();
    }

  private:
    std::uint64_t period() const { return broadcasts_.cycle() + kGuestStanzas; }

    MucBroadcasts broadcasts_;
    std::uint64_t rooms_;
};

class ClientTraffic : public Script {
  public:
    explicit ClientTraffic(RoomShape shape) : shape_(std::move(shape)) {}
    // Of every 20 stanzas: 14 messages, 4 presences, 1 ping, 1 registration form request.
    void append(std::uint64_t seq, std::string& out) const override {
        const std::uint64_t turn = seq / 20;
        const int slot = static_cast<int>(seq % 20);
        const int r = static_cast<int>(seq % static_cast<std::uint64_t>(shape_.rooms));
        const int i = static_cast<int>(turn % static_cast<std::uint64_t>(shape_.occupants));
        std::string room, from;
        room_jid(room, r);
        user_bare(from, r, i);
        from += "/phone";
        if (slot < 14) {
            groupchat(out, from, room, seq, "");
        } else if (slot < 18) {
            out += "<presence from='";
            out += from;
            out += "' to='";
            out += room;
            out += "/n";
            append_number(out, static_cast<std::uint64_t>(i));
            out += "'><show>away</show><status>back in five</status></presence>";
        } else {
            out += "<iq from='";
            out += from;
            out += "' to='";
            out += room;
            out += "' type='get' id='q";
            append_number(out, seq);
            out += slot == 18 ? "'><ping xmlns='urn:xmpp:ping'/></iq>"
                              : "'><query xmlns='jabber:iq:register'/></iq>";
        }
    }

  private:
    RoomShape shape_;
};

constexpr std::string_view kFanRoom = "fan@conference.localhost";
constexpr std::string_view kFanSender = "sender@localhost/phone";

class FanoutJoin : public Script {
  public:
    void append(std::uint64_t, std::string& out) const override {
        muc_presence(out, kFanRoom, "sender", kFanSender);
    }
};

class FanoutMessages : public Script {
  public:
    explicit FanoutMessages(const FanoutShape& shape) {
        std::vector<std::string> members;
        for (int k = 0; k < shape.members; ++k) members.push_back(fanout_member(k));
        copies_ = std::make_unique<CopyTargets>(std::move(members));
    }
    void append(std::uint64_t seq, std::string& out) const override {
        groupchat(out, std::string(kFanRoom) + "/sender", kFanSender, seq, kFanRoom);
    }
    std::int64_t broadcast_of(std::uint64_t seq) const override {
        return static_cast<std::int64_t>(seq);
    }
    const CopyTargets* copies_of(std::uint64_t) const override { return copies_.get(); }

  private:
    std::unique_ptr<CopyTargets> copies_;
};

}  // namespace

std::string fanout_member(int k) {
    return "f" + std::to_string(k) + "@localhost";
}

std::string fanout_room() {
    return std::string(kFanRoom);
}

std::string RoomShape::room(int r) const {
    std::string out;
    room_jid(out, r);
    return out;
}

std::string RoomShape::member(int r, int i) const {
    std::string out;
    user_bare(out, r, i);
    return out;
}

std::uint64_t RoomShape::occupant_sessions() const {
    return static_cast<std::uint64_t>(rooms) * static_cast<std::uint64_t>(occupants);
}

std::uint64_t RoomShape::total_registrations() const {
    return static_cast<std::uint64_t>(rooms) * static_cast<std::uint64_t>(registrations);
}

std::unique_ptr<Script> joins(const RoomShape& shape) {
    return std::make_unique<Joins>(shape);
}
std::unique_ptr<Script> muc_broadcasts(const RoomShape& shape) {
    return std::make_unique<MucBroadcasts>(shape);
}
std::unique_ptr<Script> guests_among_broadcasts(const RoomShape& shape) {
    return std::make_unique<GuestsAmongBroadcasts>(shape);
}
std::unique_ptr<Script> client_traffic(const RoomShape& shape) {
    return std::make_unique<ClientTraffic>(shape);
}
std::unique_ptr<Script> fanout_join() {
    return std::make_unique<FanoutJoin>();
}
std::unique_ptr<Script> fanout_messages(const FanoutShape& shape) {
    return std::make_unique<FanoutMessages>(shape);
}

}  // namespace bench
