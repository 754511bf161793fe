#include "offline/offline_delivery.hpp"

#include "offline/message_kind.hpp"
#include "xml/start_tag.hpp"
#include "xmpp/jid.hpp"

namespace offline {
namespace {

using xmpp::Direction;

// A JID of this MUC with a nick: room@domain/nick.
struct RoomAddress {
    std::string room;
    std::string nick;
};

std::optional<RoomAddress> room_address(std::string_view text, const std::string& domain) {
    std::optional<xmpp::Jid> jid = xmpp::parse_jid(text);
    if (!jid || jid->local.empty() || jid->domain != domain) return std::nullopt;
    return RoomAddress{jid->bare(), jid->resource};
}

std::optional<xmpp::Jid> user_jid(std::string_view text) {
    return xmpp::parse_jid(text);
}

}  // namespace

OfflineDelivery::OfflineDelivery(Options options, std::string muc_domain, ChangeSink* changes)
    : options_(options),
      domain_(std::move(muc_domain)),
      changes_(changes),
      occupants_(occupancy_, options_.max_pending_join_bytes, options_.tree_limits),
      flow_(options_, domain_, registrations_, occupancy_),
      bounces_(options_.bounce_ttl, options_.max_tracked_copies) {
    registrations_.observe(
        [this](const std::string& room, const std::string& member, const Registration* now,
               std::string_view why) { on_registration_change(room, member, now, why); });
    occupancy_.observe([this](const std::string& room, const std::string& full_jid,
                              const std::string* nick) {
        if (restoring_ || changes_ == nullptr) return;
        StateChange change{
            nick != nullptr ? StateChange::Kind::put_session : StateChange::Kind::remove_session,
            room, full_jid, Registration{nick != nullptr ? *nick : std::string(), false}};
        change.at_ms = now_ms_;
        changes_->record(std::move(change));
    });
}

void OfflineDelivery::on_registration_change(const std::string& room, const std::string& member,
                                             const Registration* now, std::string_view why) {
    // Opting in again is how a paused member asks for delivery to resume.
    const bool resumed = now != nullptr && now->offline &&
                         (paused_.erase(member) + bounce_streaks_.erase(member)) > 0;
    // One log line per change the operator may be asked about (restoring is not a change).
    if (!restoring_ && current_out_ != nullptr) {
        if (now != nullptr) {
            current_out_->note("registration of " + member + " in " + room +
                               " committed: offline " + (now->offline ? "on" : "off") +
                               (resumed ? ", copies resumed" : "") +
                               (why.empty() ? std::string() : " (" + std::string(why) + ")"));
        } else {
            current_out_->note("registration of " + member + " in " + room + " removed" +
                               (why.empty() ? std::string() : ": " + std::string(why)));
        }
    }
    if (restoring_ || changes_ == nullptr) return;
    StateChange change{now != nullptr ? StateChange::Kind::put_registration
                                      : StateChange::Kind::remove_registration,
                       room, member, now != nullptr ? *now : Registration{}};
    change.at_ms = now_ms_;
    changes_->record(std::move(change));
    if (resumed) record_member(member);
    // The member is told about this change by what follows (the MUC's result): not before it
    // is on disk.
    if (current_out_ != nullptr) current_out_->persist();
}

void OfflineDelivery::record_member(const std::string& member) {
    if (restoring_ || changes_ == nullptr) return;
    StateChange change{StateChange::Kind::put_member, "", member, {}};
    change.paused = paused_.contains(member);
    auto streak = bounce_streaks_.find(member);
    change.bounce_streak = streak == bounce_streaks_.end() ? 0 : streak->second;
    change.at_ms = now_ms_;
    changes_->record(std::move(change));
}

void OfflineDelivery::restore(const StoredState& state) {
    restoring_ = true;
    for (const StoredRegistration& r : state.registrations)
        registrations_.set(r.room, r.member, r.registration);
    for (const StoredSession& s : state.sessions) occupancy_.enter(s.room, s.full_jid, s.nick);
    for (const StoredMember& m : state.members) {
        if (m.paused) paused_.insert(m.member);
        if (m.bounce_streak > 0) bounce_streaks_[m.member] = m.bounce_streak;
    }
    restoring_ = false;
}

void OfflineDelivery::set_options(const Options& options) {
    options_ = options;
    flow_.set_options(options);
    occupants_.set_max_join_bytes(options.max_pending_join_bytes);
    bounces_.set_ttl(options.bounce_ttl);
    bounces_.set_max_copies(options.max_tracked_copies);
}

void OfflineDelivery::on_stanza(Direction direction, const xmpp::Stanza& stanza, xmpp::Moment now,
                                xmpp::Decisions& out) {
    now_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
    current_out_ = &out;
    bounces_.expire(now, [this](std::string_view member) { on_bounce_free_copy(member); });
    if (direction == Direction::to_server) {
        from_component(stanza, now, out);
    } else {
        from_server(stanza, now, out);
    }
    current_out_ = nullptr;
}

void OfflineDelivery::on_batch_end(Direction direction, xmpp::Moment now, xmpp::Decisions& out) {
    current_out_ = &out;
    // The broadcast may go on in the next read (mu-conference writes each copy on its own):
    // who it missed is only known once another stanza comes.
    if (direction == Direction::to_server) flush_fanout(now, out);
    current_out_ = nullptr;
}

void OfflineDelivery::from_component(const xmpp::Stanza& stanza, xmpp::Moment now,
                                     xmpp::Decisions& out) {
    const xml::ElementView& top = stanza.top;
    const std::string& name = top.name.local;
    std::optional<RoomAddress> from;
    std::optional<xmpp::Jid> to;
    if (name == "message" || name == "presence") {
        from = room_address(top.attribute("from"), domain_);
        to = user_jid(top.attribute("to"));
    }
    if (name == "message" && from && !from->nick.empty() && to && !to->resource.empty() &&
        top.attribute("type") == "groupchat") {
        const std::string recipient = to->full();
        // History the MUC replays to someone joining (XEP-0045 §7.2.15) went out when it was
        // said; it only shows that its recipient is in the room.
        if (top.has_child("delay", "urn:xmpp:delay") || top.has_child("x", "jabber:x:delay")) {
            complete_broadcast(now, out);
            occupancy_.enter(from->room, recipient, "");
            out.forward(Direction::to_server);
            return;
        }
        const std::uint64_t key = broadcast_key(top, stanza.raw);
        // A copy of the broadcast under way passes; a new message means the last one has passed.
        if (broadcasts_.would_start_new(from->room, key, recipient)) complete_broadcast(now, out);
        bool is_new = broadcasts_.is_new_message(from->room, key, recipient);
        // A groupchat copy to a full JID proves that session is in the room (and rebuilds the
        // picture after a restart).
        occupancy_.enter(from->room, recipient, "");
        if (is_new) {
            open_broadcast_room_ = from->room;
            on_room_message(stanza, from->room);
        }
        out.forward(Direction::to_server);
        return;
    }
    complete_broadcast(now, out);

    if (name == "presence" && from && !from->nick.empty() && to && !to->resource.empty()) {
        PresenceOutcome outcome =
            occupants_.on_room_presence(top, stanza.raw, from->room, from->nick, to->full());
        if (outcome.over_tree_limit) {
            presence_tree_limit_refusals_.count(*outcome.over_tree_limit);
            out.note(over_tree_limit_note(
                "presence from " + from->room + "/" + from->nick + " to " + to->full(),
                options_.tree_limits, *outcome.over_tree_limit,
                "forwarded as it is, its status codes unread"));
        }
        if (outcome.banned_or_removed &&
            registrations_.remove(outcome.room, outcome.member, "banned or no longer a member")) {
            ++counters_.registrations_revoked;
        }
        // An occupant may register as soon as they see they are in: by then the proxy must
        // still know it after a crash (standalone registration accepts occupants only).
        if (outcome.session_started && changes_ != nullptr) out.persist();
        out.forward(Direction::to_server);
        return;
    }
    if (name == "iq" && flow_.from_component(top, stanza.raw, now, out)) return;
    out.forward(Direction::to_server);
}

void OfflineDelivery::from_server(const xmpp::Stanza& stanza, xmpp::Moment now,
                                  xmpp::Decisions& out) {
    const xml::ElementView& top = stanza.top;
    const std::string& name = top.name.local;
    if (name == "message" && top.attribute("type") == "error" && swallow_bounce(stanza, out))
        return;
    if (name == "presence" && top.attribute("type").empty()) {
        std::optional<RoomAddress> to = room_address(top.attribute("to"), domain_);
        std::optional<xmpp::Jid> from = user_jid(top.attribute("from"));
        if (to && !to->nick.empty() && from)
            occupants_.on_join_request(to->room, from->full(), to->nick);
    }
    if (name == "iq" && flow_.from_server(top, stanza.raw, now, out)) return;
    out.forward(Direction::to_component);
}

TreeLimitCounters OfflineDelivery::tree_limit_refusals() const {
    TreeLimitCounters all = flow_.tree_limit_refusals();
    all += presence_tree_limit_refusals_;
    return all;
}

void OfflineDelivery::on_room_message(const xmpp::Stanza& stanza, const std::string& room) {
    last_fanout_.active = false;
    if (flow_.is_native(room) || !worth_copying(stanza.top)) return;
    pending_.push_back(
        PendingFanout{room, std::string(stanza.raw), std::string(stanza.top.attribute("id"))});
}

// The MUC sends a broadcast's copies one after the other, before anything else: once another
// stanza comes, every occupant has had theirs. A session that got none is gone (a leave the
// proxy missed while it was down); when the next stanza ends the broadcast, the copies of this
// very message already count it out.
void OfflineDelivery::complete_broadcast(xmpp::Moment now, xmpp::Decisions& out) {
    if (!open_broadcast_room_) {
        flush_fanout(now, out);
        return;
    }
    const std::string room = std::move(*open_broadcast_room_);
    open_broadcast_room_.reset();
    std::vector<std::string> gone;
    for (const std::string& full_jid : occupancy_.full_jids_in(room)) {
        if (broadcasts_.reached(room, full_jid)) continue;
        occupancy_.leave(room, full_jid);
        gone.push_back(full_jid.substr(0, full_jid.find('/')));
    }
    flush_fanout(now, out);
    // A member whose gone session kept them from this message's copy (the fan-out ran at the
    // end of an earlier read) gets it now, late but once.
    if (last_fanout_.active && last_fanout_.room == room) {
        for (const std::string& member : gone) {
            const Registration* registration = registrations_.find(room, member);
            if (registration != nullptr && registration->offline &&
                !last_fanout_.copied.contains(member)) {
                send_copy(last_fanout_, occupancy_.presence_in(room), member, now, out);
            }
        }
    }
    last_fanout_.active = false;
}

bool OfflineDelivery::send_copy(SentFanout& fanout, const Occupancy::Presence& present,
                                const std::string& member, xmpp::Moment now, xmpp::Decisions& out) {
    if (present.has(member) || (!paused_.empty() && paused_.contains(member))) return false;
    const std::optional<xml::ValueSpan>& to = fanout.to;
    if (!to) return false;
    // Prepared bare JIDs hold no quote, '<' or '&' (nodeprep and nameprep forbid them), so the
    // member goes in as it is.
    std::string& copy = out.inject_in_place(Direction::to_server);
    copy.reserve(fanout.raw.size() + member.size());
    copy.append(std::string_view(fanout.raw).substr(0, to->offset))
        .append(member)
        .append(std::string_view(fanout.raw).substr(to->offset + to->length));
    bounces_.sent(member, fanout.id, now);
    // Past 4 GiB of member names (never in practice) a late copy could go twice.
    if (fanout.copied.has_room_for(member)) fanout.copied.add(member);
    ++counters_.copies_sent;
    return true;
}

void OfflineDelivery::flush_fanout(xmpp::Moment now, xmpp::Decisions& out) {
    for (PendingFanout& pending : pending_) {
        SentFanout& fanout = last_fanout_;
        fanout.active = true;
        fanout.room.swap(pending.room);
        fanout.raw.swap(pending.raw);
        fanout.id.swap(pending.id);
        fanout.copied.clear();
        fanout.to = xml::find_attribute(fanout.raw, "to");
        // Nobody joins or leaves during the loop: the room is looked up once.
        const Occupancy::Presence present = occupancy_.presence_in(fanout.room);
        bool any = false;
        registrations_.for_each_opted_in(fanout.room, [&](const std::string& member) {
            any = send_copy(fanout, present, member, now, out) || any;
        });
        if (any) ++counters_.messages_fanned_out;
    }
    pending_.clear();
}

bool OfflineDelivery::swallow_bounce(const xmpp::Stanza& stanza, xmpp::Decisions& out) {
    std::optional<xmpp::Jid> from = user_jid(stanza.top.attribute("from"));
    if (!from || !from->is_bare()) return false;
    std::optional<RoomAddress> to = room_address(stanza.top.attribute("to"), domain_);
    if (!to) return false;
    const std::string member = from->bare();
    if (!bounces_.take_bounce(member, stanza.top.attribute("id"))) return false;
    ++counters_.bounces_swallowed;
    std::uint32_t streak = ++bounce_streaks_[member];
    if (options_.pause_after_bounces != 0 && streak >= options_.pause_after_bounces &&
        paused_.insert(member).second) {
        ++counters_.members_paused;
        out.note("offline delivery to " + member + " paused after " + std::to_string(streak) +
                 " bounced copies in a row");
    }
    record_member(member);
    return true;  // dropped: the MUC never sent that copy
}

void OfflineDelivery::on_bounce_free_copy(std::string_view member) {
    if (bounce_streaks_.empty()) return;  // the common case: no lookup per expired copy
    auto streak = bounce_streaks_.find(member);
    if (streak == bounce_streaks_.end()) return;
    const std::string name = streak->first;
    bounce_streaks_.erase(streak);
    record_member(name);
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
           std::to_string(d.members_paused);
}

}  // namespace offline
