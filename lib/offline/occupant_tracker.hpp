// Keeps Occupancy true to what the MUC says (XEP-0045 §7.2, §7.6, §7.14): an occupant session
// (room, full JID) begins with the MUC's self-presence to that JID (status 110, or the nick
// the JID asked for), ends with its own unavailable presence or an error answering its join,
// and survives nick changes (303).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "offline/occupancy.hpp"
#include "xml/element_view.hpp"
#include "xmpp/tree_shape.hpp"

namespace offline {

// What a presence from the MUC meant, beyond the occupancy change already applied.
struct PresenceOutcome {
    bool session_started = false;
    bool session_ended = false;
    bool banned_or_removed = false;  // 301 (banned) or 321 (affiliation change): registration goes
    std::string member;              // prepared bare JID of the occupant concerned
    std::string room;
    // The presence had to be read but is over the tree limits: it was not, and changed nothing
    // it alone could tell (status codes, the new nick).
    std::optional<xmpp::TreeLimit> over_tree_limit;
};

class OccupantTracker {
  public:
    // `limits` is read at each presence: a reload may change it.
    OccupantTracker(Occupancy& occupancy, const xmpp::TreeLimits& limits)
        : occupancy_(occupancy), limits_(limits) {}

    // A presence from a user to room/nick (server -> MUC): remembered as a join attempt.
    void on_join_request(const std::string& room, const std::string& full_jid,
                         std::string_view nick);
    // A presence from room/nick to a user's full JID (MUC -> server).
    PresenceOutcome on_room_presence(const xml::ElementView& top, std::string_view raw,
                                     const std::string& room, std::string_view nick,
                                     const std::string& to_full_jid);

  private:
    Occupancy& occupancy_;
    const xmpp::TreeLimits& limits_;
    // (room + '/' + full JID) -> the nick asked for; answered by the MUC's self-presence
    std::unordered_map<std::string, std::string> joins_;
};

}  // namespace offline
