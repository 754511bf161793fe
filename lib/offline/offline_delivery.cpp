#include "offline/offline_delivery.hpp"

#include "offline/delivery_session.hpp"
#include "offline/message_kind.hpp"
#include "offline/notices.hpp"
#include "xml/start_tag.hpp"
#include "xmpp/jid.hpp"

namespace offline {
namespace {

using xmpp::Direction;

// Reads a JID of this MUC's (a room, with or without a nick) into `out`; false for any other
// JID.
bool read_room_address(std::string_view text, const std::string& domain, RoomAddress& out) {
    const std::optional<std::size_t> bare_length = xmpp::prepare_jid_into(text, out.prepared);
    if (!bare_length) return false;
    const xmpp::PreparedJidParts jid = xmpp::prepared_parts(out.prepared, *bare_length);
    if (jid.local.empty() || jid.domain != domain) return false;
    out.room.assign(jid.bare);
    out.nick.assign(jid.resource);
    return true;
}

// Prepares a full JID (with a resource) into `out`; false for a bare or invalid one.
bool read_full_jid(std::string_view text, std::string& out) {
    const std::optional<std::size_t> bare_length = xmpp::prepare_jid_into(text, out);
    return bare_length && *bare_length < out.size();
}

}  // namespace

OfflineDelivery::OfflineDelivery(Options options, std::string muc_domain)
    : options_(options),
      domain_(std::move(muc_domain)),
      bounces_(options_.bounce_ttl, options_.max_tracked_copies) {
    registrations_.observe(
        [this](const std::string& room, const std::string& member, const Registration* now,
               std::string_view why,
               xmpp::Decisions& out) { on_registration_change(room, member, now, why, out); });
    occupancy_.observe([this](std::string_view room, std::string_view full_jid,
                              std::optional<std::string_view> nick, bool began,
                              xmpp::Decisions& out) {
        // Back in the room: the member has seen what the notices were about.
        if (nick && notice_pacer_.tracked() > 0)
            notice_pacer_.forget(room, xmpp::bare_part(full_jid));
        StateChange change{
            nick ? StateChange::Kind::put_session : StateChange::Kind::remove_session,
            std::string(room), std::string(full_jid),
            Registration{std::string(nick.value_or(std::string_view())), false}};
        change.began = began;
        record(std::move(change), out);
    });
}

void OfflineDelivery::record(StateChange change, xmpp::Decisions& out) const {
    change.at_ms = now_ms_;
    out.record(std::make_shared<StateChangeRecord>(std::move(change)));
}

void OfflineDelivery::on_registration_change(const std::string& room, const std::string& member,
                                             const Registration* now, std::string_view why,
                                             xmpp::Decisions& out) {
    // Opting in again is how a paused member asks for delivery to resume, and how a member
    // switched to notices asks for copies again (their server may take them now).
    const bool opted_in = now != nullptr && now->offline;
    const bool back_to_copies = opted_in && why.empty() && on_notices_.erase(member) > 0;
    const bool resumed =
        (opted_in && (paused_.erase(member) + bounce_streaks_.erase(member)) > 0) || back_to_copies;
    if (now == nullptr || !now->offline) notice_pacer_.forget(room, member);
    // One log line per change the operator may be asked about.
    if (now != nullptr) {
        out.note("registration of " + member + " in " + room + " committed: offline " +
                 (now->offline ? "on" : "off") + (resumed ? ", copies resumed" : "") +
                 (back_to_copies ? " (notices until now)" : "") +
                 (why.empty() ? std::string() : " (" + std::string(why) + ")"));
    } else {
        out.note("registration of " + member + " in " + room + " removed" +
                 (why.empty() ? std::string() : ": " + std::string(why)));
    }
    record(StateChange{now != nullptr ? StateChange::Kind::put_registration
                                      : StateChange::Kind::remove_registration,
                       room, member, now != nullptr ? *now : Registration{}},
           out);
    if (resumed) record_member(member, out);
    // The member is told about this change by what follows (the MUC's result): not before it
    // is on disk.
    out.persist();
}

void OfflineDelivery::record_member(const std::string& member, xmpp::Decisions& out) {
    StateChange change{StateChange::Kind::put_member, "", member, {}};
    change.paused = paused_.contains(member);
    auto streak = bounce_streaks_.find(member);
    change.bounce_streak = streak == bounce_streaks_.end() ? 0 : streak->second;
    change.notices = on_notices_.contains(member);
    record(std::move(change), out);
}

// Nothing here is observed (no decisions): what the store kept is not a change.
void OfflineDelivery::restore(const StoredState& state) {
    for (const StoredRegistration& r : state.registrations)
        registrations_.set(r.room, r.member, r.registration);
    for (const StoredSession& s : state.sessions) occupancy_.enter(s.room, s.full_jid, s.nick);
    for (const StoredMember& m : state.members) {
        if (m.paused) paused_.insert(m.member);
        if (m.bounce_streak > 0) bounce_streaks_[m.member] = m.bounce_streak;
        if (m.notices) on_notices_.insert(m.member);
    }
}

void OfflineDelivery::set_options(const Options& options) {
    options_ = options;
    for (DeliverySession* session : sessions_) {
        session->flow_.set_options(options);
        session->occupants_.set_max_join_bytes(options.max_pending_join_bytes);
    }
    bounces_.set_ttl(options.bounce_ttl);
    bounces_.set_max_copies(options.max_tracked_copies);
}

void OfflineDelivery::opened(DeliverySession& session) {
    sessions_.push_back(&session);
}

void OfflineDelivery::closed(DeliverySession& session) {
    ended_iq_evictions_ += session.flow_.pending_evictions();
    ended_join_evictions_ += session.occupants_.join_evictions();
    std::erase(sessions_, &session);
}

template <typename Count>
std::uint64_t OfflineDelivery::over_sessions(Count count) const {
    std::uint64_t total = 0;
    for (const DeliverySession* session : sessions_) total += count(*session);
    return total;
}

std::size_t OfflineDelivery::broadcast_rooms() const {
    return over_sessions([](const DeliverySession& s) { return s.broadcasts_.rooms(); });
}

std::size_t OfflineDelivery::pending_iq_bytes() const {
    return over_sessions([](const DeliverySession& s) { return s.flow_.pending_bytes(); });
}

std::uint64_t OfflineDelivery::pending_iq_evictions() const {
    return ended_iq_evictions_ +
           over_sessions([](const DeliverySession& s) { return s.flow_.pending_evictions(); });
}

std::size_t OfflineDelivery::pending_join_bytes() const {
    return over_sessions([](const DeliverySession& s) { return s.occupants_.join_bytes(); });
}

std::uint64_t OfflineDelivery::pending_join_evictions() const {
    return ended_join_evictions_ +
           over_sessions([](const DeliverySession& s) { return s.occupants_.join_evictions(); });
}

void OfflineDelivery::on_stanza(DeliverySession& session, Direction direction,
                                const xmpp::Stanza& stanza, xmpp::Moment now,
                                xmpp::Decisions& out) {
    now_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
    bounces_.expire(now,
                    [this, &out](std::string_view member) { on_bounce_free_copy(member, out); });
    if (direction == Direction::to_server) {
        from_component(session, stanza, now, out);
    } else {
        from_server(session, stanza, now, out);
    }
}

void OfflineDelivery::on_batch_end(DeliverySession& session, Direction direction, xmpp::Moment now,
                                   xmpp::Decisions& out) {
    // The broadcast may go on in the next read (mu-conference writes each copy on its own):
    // who it missed is only known once another stanza comes.
    if (direction == Direction::to_server) flush_fanout(session, now, out);
}

// One copy of a groupchat message the MUC broadcasts to an occupant's full JID: the first
// copy of a message opens its fan-out, every copy shows its recipient is in the room. False
// for any other message.
bool OfflineDelivery::groupchat_copy(DeliverySession& session, const xmpp::Stanza& stanza,
                                     xmpp::Moment now, xmpp::Decisions& out) {
    const xml::ElementView& top = stanza.top;
    const xml::RawSpan to_span = top.raw_attribute("to");
    const std::string* room = nullptr;
    RoomAddress& from = session.room_address_;
    const bool same_message = session.last_copy_.same_but_recipient(stanza.raw, to_span);
    if (same_message) {
        // The bytes but `to` are those of the last copy: same room, sender and message.
        room = &session.last_copy_.room();
    } else {
        if (top.attribute("type") != "groupchat") return false;
        if (!read_room_address(top.attribute("from"), domain_, from) || from.nick.empty())
            return false;
        room = &from.room;
    }
    std::string& recipient = session.recipient_;
    std::uint64_t who = 0;
    bool known = false;
    if (!read_recipient(*room, top.attribute("to"), recipient, who, known)) return false;
    std::uint64_t key = 0;
    if (same_message) {
        key = session.last_copy_.key();
    } else {
        // History the MUC replays to someone joining (XEP-0045 §7.2.15) went out when it was
        // said; it only shows that its recipient is in the room.
        if (top.has_child("delay", "urn:xmpp:delay") || top.has_child("x", "jabber:x:delay")) {
            complete_broadcast(session, now, out);
            if (!known) occupancy_.enter(from.room, recipient, "", &out, who);
            out.forward(Direction::to_server);
            return true;
        }
        key = broadcast_key(top, stanza.raw);
        session.last_copy_.remember(stanza.raw, to_span, from.room, key);
    }
    // A copy of the broadcast under way passes; a new message means the last one has passed.
    const bool is_new = !session.broadcasts_.continues(*room, key, who);
    if (is_new) {
        complete_broadcast(session, now, out);
        session.broadcasts_.start_message(*room, key, who);
    }
    // A groupchat copy to a full JID proves that session is in the room (and rebuilds the
    // picture after a restart).
    if (!known) occupancy_.enter(*room, recipient, "", &out, who);
    if (is_new) {
        session.open_broadcast_room_.assign(*room);
        session.broadcast_open_ = true;
        on_room_message(session, stanza, *room, key);
    }
    out.forward(Direction::to_server);
    return true;
}

bool OfflineDelivery::read_recipient(const std::string& room, std::string_view to,
                                     std::string& recipient, std::uint64_t& who,
                                     bool& known) const {
    // Nearly every copy goes to a session the proxy knows, which the MUC names by the very
    // text the session is kept under: found as it is, it is prepared already.
    who = BroadcastTracker::recipient_id(to);
    known = occupancy_.has_session_jid(room, to, who);
    // A known session needs no copy of its JID: only a new one is entered.
    if (known) return true;
    if (!read_full_jid(to, recipient)) return false;
    who = BroadcastTracker::recipient_id(recipient);
    return true;
}

void OfflineDelivery::from_component(DeliverySession& session, const xmpp::Stanza& stanza,
                                     xmpp::Moment now, xmpp::Decisions& out) {
    const xml::ElementView& top = stanza.top;
    const std::string_view name = top.name.local;
    if (name == "message" && groupchat_copy(session, stanza, now, out)) return;
    RoomAddress& from = session.room_address_;
    std::string& to = session.recipient_;
    const bool occupant_presence = name == "presence" &&
                                   read_room_address(top.attribute("from"), domain_, from) &&
                                   !from.nick.empty() && read_full_jid(top.attribute("to"), to);
    complete_broadcast(session, now, out);

    if (occupant_presence) {
        PresenceOutcome outcome =
            session.occupants_.on_room_presence(top, stanza.raw, from.room, from.nick, to, out);
        if (outcome.over_tree_limit) {
            presence_tree_limit_refusals_.count(*outcome.over_tree_limit);
            out.note(over_tree_limit_note(
                "presence from " + from.room + "/" + from.nick + " to " + to, options_.tree_limits,
                *outcome.over_tree_limit, "forwarded as it is, its status codes unread"));
        }
        if (outcome.banned_or_removed &&
            registrations_.remove(outcome.room, outcome.member, "banned or no longer a member",
                                  &out)) {
            ++counters_.registrations_revoked;
        }
        // An occupant may register as soon as they see they are in: by then the proxy must
        // still know it after a crash (standalone registration accepts occupants only).
        if (outcome.session_started) out.persist();
        out.forward(Direction::to_server);
        return;
    }
    if (name == "iq" && session.flow_.from_component(top, stanza.raw, now, out)) return;
    out.forward(Direction::to_server);
}

void OfflineDelivery::from_server(DeliverySession& session, const xmpp::Stanza& stanza,
                                  xmpp::Moment now, xmpp::Decisions& out) {
    const xml::ElementView& top = stanza.top;
    const std::string_view name = top.name.local;
    if (name == "message" && top.attribute("type") == "error" && swallow_bounce(stanza, out))
        return;
    if (name == "presence" && top.attribute("type").empty()) {
        RoomAddress& to = session.room_address_;
        std::string& from = session.recipient_;
        if (read_room_address(top.attribute("to"), domain_, to) && !to.nick.empty() &&
            xmpp::prepare_jid_into(top.attribute("from"), from)) {
            session.occupants_.on_join_request(to.room, from, to.nick);
        }
    }
    if (name == "iq" && session.flow_.from_server(top, stanza.raw, now, out)) return;
    out.forward(Direction::to_component);
}

TreeLimitCounters OfflineDelivery::tree_limit_refusals() const {
    TreeLimitCounters all = registration_.tree_limit_refusals;
    all += presence_tree_limit_refusals_;
    return all;
}

void OfflineDelivery::on_room_message(DeliverySession& session, const xmpp::Stanza& stanza,
                                      const std::string& room, std::uint64_t key) {
    session.last_fanout_.active = false;
    if (session.flow_.is_native(room) || !worth_copying(stanza.top)) return;
    if (session.pending_count_ == session.pending_.size()) session.pending_.emplace_back();
    PendingFanout& pending = session.pending_[session.pending_count_++];
    pending.room.assign(room);
    pending.raw.assign(stanza.raw);
    pending.id.assign(stanza.top.attribute("id"));
    pending.key = key;
}

bool OfflineDelivery::swallow_bounce(const xmpp::Stanza& stanza, xmpp::Decisions& out) {
    std::optional<xmpp::Jid> from = xmpp::parse_jid(stanza.top.attribute("from"));
    if (!from || !from->is_bare()) return false;
    RoomAddress to;
    if (!read_room_address(stanza.top.attribute("to"), domain_, to)) return false;
    const std::string member = from->bare();
    if (!bounces_.take_bounce(member, stanza.top.attribute("id"))) return false;
    ++counters_.bounces_swallowed;
    if (switch_to_notices(stanza, member, to.room, out)) return true;
    std::uint32_t streak = ++bounce_streaks_[member];
    if (options_.pause_after_bounces != 0 && streak >= options_.pause_after_bounces &&
        paused_.insert(member).second) {
        ++counters_.members_paused;
        out.note("offline delivery to " + member + " paused after " + std::to_string(streak) +
                 " bounced copies in a row");
    }
    record_member(member, out);
    return true;  // dropped: the MUC never sent that copy
}

bool OfflineDelivery::switch_to_notices(const xmpp::Stanza& bounce, const std::string& member,
                                        const std::string& room, xmpp::Decisions& out) {
    if (options_.delivery != Delivery::automatic || is_notice_id(bounce.top.attribute("id")))
        return false;
    if (on_notices_.contains(member)) {
        // A copy sent before the switch, bounced after it: one more message to count.
        notice_pacer_.count_missed(room, member);
        return true;
    }
    const std::string condition = stanza_error_condition(bounce.raw, options_.tree_limits);
    if (!refuses_groupchat_to_bare(condition)) return false;
    on_notices_.insert(member);
    bounce_streaks_.erase(member);
    ++counters_.members_switched_to_notices;
    // The bounced message never reached them: the first notice counts it.
    notice_pacer_.count_missed(room, member);
    out.note("offline delivery to " + member + " switched to notices: its server refused a copy (" +
             condition + ")");
    record_member(member, out);
    return true;
}

void OfflineDelivery::on_bounce_free_copy(std::string_view member, xmpp::Decisions& out) {
    if (bounce_streaks_.empty()) return;  // the common case: no lookup per expired copy
    auto streak = bounce_streaks_.find(member);
    if (streak == bounce_streaks_.end()) return;
    const std::string name = streak->first;
    bounce_streaks_.erase(streak);
    record_member(name, out);
}

std::string summary_line(const offline::OfflineDelivery& delivery) {
    const RegistrationCounters& r = delivery.registration_counters();
    const DeliveryCounters& d = delivery.counters();
    return "registrations " + std::to_string(r.committed) + " committed, " +
           std::to_string(r.removed + d.registrations_revoked) + " removed, " +
           std::to_string(delivery.registrations().size()) + " held; occupant sessions " +
           std::to_string(delivery.occupancy().sessions()) + "; messages fanned out " +
           std::to_string(d.messages_fanned_out) + "; copies sent " +
           std::to_string(d.copies_sent) + "; bounces swallowed " +
           std::to_string(d.bounces_swallowed) + "; members paused " +
           std::to_string(d.members_paused) + "; notices sent " + std::to_string(d.notices_sent) +
           "; notices suppressed " + std::to_string(d.notices_suppressed) +
           "; members switched to notices " + std::to_string(d.members_switched_to_notices);
}

}  // namespace offline
