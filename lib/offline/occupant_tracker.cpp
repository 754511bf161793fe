#include "offline/occupant_tracker.hpp"

#include "xmpp/jid.hpp"
#include "xmpp/tree_shape.hpp"

namespace offline {
namespace {

constexpr const char* kMucUser = "http://jabber.org/protocol/muc#user";

std::string join_key(const std::string& room, std::string_view full_jid) {
    std::string key = room;
    key += '\n';
    key += full_jid;
    return key;
}

// The status codes and the new nick (303) of a MUC presence.
struct MucUserDetails {
    bool self = false;         // 110
    bool nick_change = false;  // 303
    bool banned = false;       // 301
    bool removed = false;      // 321
    std::string new_nick;
    std::optional<xmpp::TreeLimit> over_tree_limit;  // then nothing was read
};

// From the presence's first muc#user <x/>: its <status/> codes and its <item/>'s nick, read
// as the bytes go by (no tree: a join or a leave costs a presence's parse, not a tree's).
MucUserDetails read_muc_user(const xml::ElementView& top, std::string_view raw,
                             const xmpp::TreeLimits& limits, xml::ElementWalker& walker) {
    MucUserDetails details;
    details.over_tree_limit = xmpp::exceeded_tree_limit(raw, limits);
    if (details.over_tree_limit) return details;
    enum class In { before, muc_user, after } in = In::before;
    const bool plain = top.content_offset() != std::string_view::npos;  // the scanner framed it
    walker.walk(
        raw, 2,
        [&](const xml::WalkedElement& element) {
            if (element.depth == 1) {
                const bool first_muc_user =
                    in == In::before && element.local == "x" && element.ns == kMucUser;
                in = first_muc_user ? In::muc_user : (in == In::before ? In::before : In::after);
                return;
            }
            if (element.depth != 2 || in != In::muc_user) return;
            if (element.local == "status") {
                const std::string_view code = element.attribute("code");
                if (code == "110") details.self = true;
                if (code == "303") details.nick_change = true;
                if (code == "301") details.banned = true;
                if (code == "321") details.removed = true;
            } else if (element.local == "item") {
                details.new_nick.assign(element.attribute("nick"));
            }
        },
        plain);
    return details;
}

}  // namespace

void OccupantTracker::on_join_request(const std::string& room, const std::string& full_jid,
                                      std::string_view nick) {
    // An occupant's status updates come the same way as joins, and are the most common of
    // them. From a session in the room under that nick there is nothing to learn from the
    // MUC's answer (on_room_presence takes it as an update), so it is no attempt: kept, it
    // would only wait for its eviction, in the place of a real join's.
    if (occupancy_.has_session_named(room, full_jid, nick)) return;
    // The same session asking again (before the MUC answered) costs no allocation: its nick is
    // replaced where it is kept, and it becomes the newest attempt.
    if (auto again = joins_.find(JoinKey{room, full_jid}); again != joins_.end()) {
        const std::size_t bytes = bytes_of(again->first, nick);
        if (bytes <= max_join_bytes_) {
            join_bytes_ -= bytes_of(again->first, again->second.nick);
            again->second.nick.assign(nick);
            join_arrivals_.splice(join_arrivals_.end(), join_arrivals_, again->second.arrival);
            join_bytes_ += bytes;
            evict_joins_over_budget();
            return;
        }
        forget_join(again);
    }
    std::string key = join_key(room, full_jid);
    const std::size_t bytes = bytes_of(key, nick);
    if (bytes > max_join_bytes_) {
        ++join_evictions_;
        return;
    }
    // A join attempt is answered at once by the MUC; peers that never get an answer must not
    // grow the table: the oldest attempts go first.
    join_bytes_ += bytes;
    evict_joins_over_budget();
    auto [join, inserted] = joins_.emplace(std::move(key), JoinAttempt{std::string(nick), {}});
    join->second.arrival = join_arrivals_.insert(join_arrivals_.end(), &join->first);
}

// An attempt within the budget on its own is never evicted for itself: when it is the only
// one left, the table is within the budget.
void OccupantTracker::evict_joins_over_budget() {
    while (join_bytes_ > max_join_bytes_ && !join_arrivals_.empty()) {
        forget_join(joins_.find(*join_arrivals_.front()));
        ++join_evictions_;
    }
}

void OccupantTracker::forget_join(Joins::iterator join) {
    join_bytes_ -= bytes_of(join->first, join->second.nick);
    join_arrivals_.erase(join->second.arrival);
    joins_.erase(join);
}

PresenceOutcome OccupantTracker::on_room_presence(const xml::ElementView& top, std::string_view raw,
                                                  const std::string& room, std::string_view nick,
                                                  const std::string& to_full_jid,
                                                  xmpp::Decisions& out) {
    PresenceOutcome outcome;
    outcome.room = room;
    outcome.member = std::string(xmpp::bare_part(to_full_jid));
    std::string_view type = top.attribute("type");
    std::optional<std::string> known_nick = occupancy_.nick_of(room, to_full_jid);

    // A session known only from a broadcast copy has no nick yet: only the status 110 of the
    // MUC's own presence tells which presences are this occupant's.
    const bool nick_unknown = known_nick && known_nick->empty();
    const auto muc_user = [&] {
        MucUserDetails details = read_muc_user(top, raw, limits_, walker_);
        outcome.over_tree_limit = details.over_tree_limit;
        return details;
    };

    if (type.empty()) {
        if (known_nick && *known_nick == nick) return outcome;  // an update to a known session
        auto join = joins_.find(JoinKey{room, to_full_jid});
        bool asked_for_it = join != joins_.end() && join->second.nick == nick;
        // Someone else's presence, sent to an occupant we already know under another nick.
        if (!asked_for_it && known_nick && !nick_unknown) return outcome;
        if (asked_for_it || muc_user().self) {
            occupancy_.enter(room, to_full_jid, nick, &out);
            if (join != joins_.end()) forget_join(join);
            outcome.session_started = !known_nick;
        }
        return outcome;
    }
    if (type == "error") {
        auto join = joins_.find(JoinKey{room, to_full_jid});
        if (join != joins_.end() && join->second.nick == nick) {
            forget_join(join);
            if (known_nick && *known_nick == nick) {
                occupancy_.leave(room, to_full_jid, &out);
                outcome.session_ended = true;
            }
        }
        return outcome;
    }
    if (type != "unavailable") return outcome;
    if (!known_nick) {
        // Not a session we know; still, a ban or removal addressed to the member counts.
        MucUserDetails details = muc_user();
        outcome.banned_or_removed = details.self && (details.banned || details.removed);
        return outcome;
    }
    if (!nick_unknown && *known_nick != nick)
        return outcome;  // someone else left; this occupant stays
    MucUserDetails details = muc_user();
    if (nick_unknown && !details.self) return outcome;
    if (details.nick_change && !details.new_nick.empty()) {
        occupancy_.rename(room, to_full_jid, details.new_nick, &out);
        return outcome;
    }
    occupancy_.leave(room, to_full_jid, &out);
    outcome.session_ended = true;
    outcome.banned_or_removed = details.banned || details.removed;
    return outcome;
}

}  // namespace offline
