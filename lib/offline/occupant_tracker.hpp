// Keeps Occupancy true to what the MUC says (XEP-0045 §7.2, §7.6, §7.14): an occupant session
// (room, full JID) begins with the MUC's self-presence to that JID (status 110, or the nick
// the JID asked for), ends with its own unavailable presence or an error answering its join,
// and survives nick changes (303).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "offline/occupancy.hpp"
#include "xml/element_view.hpp"
#include "xml/element_walk.hpp"
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
    // Join attempts waiting for the MUC's answer are kept within `max_join_bytes`, the oldest
    // forgotten first: every byte of them comes from the server side. `limits` is read at each
    // presence: a reload may change it.
    OccupantTracker(Occupancy& occupancy, std::size_t max_join_bytes,
                    const xmpp::TreeLimits& limits)
        : occupancy_(occupancy), limits_(limits), max_join_bytes_(max_join_bytes) {}
    // A lower budget applies at the next join attempt.
    void set_max_join_bytes(std::size_t max_join_bytes) { max_join_bytes_ = max_join_bytes; }

    // A presence from a user to room/nick (server -> MUC): remembered as a join attempt, unless
    // that session is in the room under that nick already (a status update).
    void on_join_request(const std::string& room, const std::string& full_jid,
                         std::string_view nick);
    // A presence from room/nick to a user's full JID (MUC -> server).
    // The occupancy changes it makes add their records to `out`.
    PresenceOutcome on_room_presence(const xml::ElementView& top, std::string_view raw,
                                     const std::string& room, std::string_view nick,
                                     const std::string& to_full_jid, xmpp::Decisions& out);

    std::size_t join_bytes() const { return join_bytes_; }
    // Join attempts forgotten, unanswered, to stay within max_join_bytes. The MUC's status 110
    // still starts such a session; only a MUC that omits it (XEP-0045 §7.2.3 asks for it)
    // would be missed.
    std::uint64_t join_evictions() const { return join_evictions_; }

    // Accounted per join attempt on top of its strings: hash and list nodes, two string
    // objects (about 120 bytes with libstdc++ on x86-64), rounded up.
    static constexpr std::size_t kJoinOverhead = 160;

  private:
    struct JoinAttempt {
        std::string nick;
        std::list<const std::string*>::iterator arrival;
    };
    // A join attempt is kept under room + '\n' + full JID (a prepared JID holds no control
    // character) and found by the two parts, so a presence builds no key to look one up.
    struct JoinKey {
        std::string_view room;
        std::string_view full_jid;
    };
    static JoinKey parts_of(std::string_view stored) {
        const std::size_t newline = stored.find('\n');
        return {stored.substr(0, newline), stored.substr(newline + 1)};
    }
    struct JoinHash {
        using is_transparent = void;
        std::size_t operator()(const JoinKey& key) const {
            const std::hash<std::string_view> hash;
            return hash(key.room) ^ (hash(key.full_jid) * 0x9e3779b97f4a7c15ull);
        }
        std::size_t operator()(std::string_view stored) const { return (*this)(parts_of(stored)); }
    };
    struct JoinEqual {
        using is_transparent = void;
        bool operator()(std::string_view a, std::string_view b) const { return a == b; }
        bool operator()(const JoinKey& key, std::string_view stored) const {
            const JoinKey other = parts_of(stored);
            return key.room == other.room && key.full_jid == other.full_jid;
        }
        bool operator()(std::string_view stored, const JoinKey& key) const {
            return (*this)(key, stored);
        }
    };
    using Joins = std::unordered_map<std::string, JoinAttempt, JoinHash, JoinEqual>;
    void forget_join(Joins::iterator join);
    // Forgets the oldest join attempts while the table is over its budget.
    void evict_joins_over_budget();
    static std::size_t bytes_of(const std::string& key, std::string_view nick) {
        return kJoinOverhead + key.size() + nick.size();
    }

    Occupancy& occupancy_;
    const xmpp::TreeLimits& limits_;
    // (room + '\n' + full JID) -> the nick asked for; answered by the MUC's self-presence
    Joins joins_;
    std::list<const std::string*> join_arrivals_;  // keys of joins_, oldest first
    std::size_t max_join_bytes_;
    std::size_t join_bytes_ = 0;
    std::uint64_t join_evictions_ = 0;
    xml::ElementWalker walker_;  // reads presences' status codes
};

}  // namespace offline
