// OfflineDelivery's fan-out: after each new message, a copy or a notice to every opted-in
// member who has no session in the room.
#include <cstdio>
#include <functional>

#include "offline/delivery_session.hpp"
#include "offline/offline_delivery.hpp"
#include "xmpp/jid.hpp"

namespace offline {

using xmpp::Direction;

// The MUC sends a broadcast's copies one after the other, before anything else: once another
// stanza comes, every occupant has had theirs. A session that got none is gone (a leave the
// proxy missed while it was down); when the next stanza ends the broadcast, the copies of this
// very message already count it out.
void OfflineDelivery::complete_broadcast(DeliverySession& session, xmpp::Moment now,
                                         xmpp::Decisions& out) {
    if (!session.broadcast_open_) {
        flush_fanout(session, now, out);
        return;
    }
    session.broadcast_open_ = false;
    // Nothing below opens another broadcast: the name stays as it is until this returns.
    const std::string& room = session.open_broadcast_room_;
    const RecipientSet* reached = session.broadcasts_.recipients_of(room);
    std::vector<std::string> gone =
        // A recipient's id is the occupancy's hash of its JID, kept with the session.
        occupancy_.full_jids_in(room, [reached](std::string_view, std::uint64_t full_jid_hash) {
            return reached == nullptr || !reached->contains(full_jid_hash);
        });
    for (std::string& full_jid : gone) {
        occupancy_.leave(room, full_jid, &out);
        full_jid.resize(xmpp::bare_part(full_jid).size());
    }
    session.broadcasts_.forget(room);
    flush_fanout(session, now, out);
    // A member whose gone session kept them from this message's copy (the fan-out ran at the
    // end of an earlier read) gets it now, late but once.
    if (session.last_fanout_.active && session.last_fanout_.room == room) {
        for (const std::string& member : gone) {
            const Registration* registration = registrations_.find(room, member);
            if (registration != nullptr && registration->offline &&
                !session.last_fanout_.copied.contains(member)) {
                deliver(session.last_fanout_, occupancy_.presence_in(room), member, now, out);
            }
        }
    }
    session.last_fanout_.active = false;
}

bool OfflineDelivery::gets_notices(std::string_view member) const {
    if (options_.delivery == Delivery::notice) return true;
    return options_.delivery == Delivery::automatic && !on_notices_.empty() &&
           on_notices_.contains(member);
}

const MessageGist& OfflineDelivery::gist_of(SentFanout& fanout) {
    if (!fanout.gist) fanout.gist = read_gist(fanout.raw, options_.tree_limits);
    return *fanout.gist;
}

bool OfflineDelivery::deliver(SentFanout& fanout, const Occupancy::Presence& present,
                              const std::string& member, xmpp::Moment now, xmpp::Decisions& out) {
    if (present.has(member) || (!paused_.empty() && paused_.contains(member))) return false;
    const bool notice = gets_notices(member);
    if (!notice && !options_.only_mentions) return send_copy(fanout, member, now, out);
    const Registration* registration = registrations_.find(fanout.room, member);
    const bool mention = mentions(gist_of(fanout), fanout.room, member,
                                  registration != nullptr ? registration->nick : std::string());
    if (options_.only_mentions && !mention) return false;
    return notice ? send_notice(fanout, member, mention, now, out)
                  : send_copy(fanout, member, now, out);
}

// Once per copy: everything it calls is inlined (as when it lived beside its one caller; out
// of line, string::append alone cost ~25 more instructions per copy, measured with callgrind).
[[gnu::always_inline]] inline bool OfflineDelivery::add_copy(SentFanout& fanout,
                                                             const std::string& member,
                                                             xmpp::Moment now, xmpp::Decisions& out,
                                                             bool in_order) {
    const std::optional<xml::ValueSpan>& to = fanout.to;
    if (!to) return false;
    // Prepared bare JIDs hold no quote, '<' or '&' (nodeprep and nameprep forbid them), so the
    // member goes in as it is.
    if (!out.holds(fanout.source))
        fanout.source = out.keep_copy_source(fanout.raw, to->offset, to->length);
    out.inject_copy(Direction::to_server, fanout.source, member);
    ++counters_.copies_sent;
    // Past 4 GiB of member names (never in practice) a late copy could go twice.
    const bool listed = fanout.copied.has_room_for(member);
    if (in_order && listed) {
        // The registrations hand members over in ascending order, as the list compares them.
        fanout.copied.add_ascending(member);
        return true;
    }
    bounces_.sent(member, fanout.id, now);
    if (listed) fanout.copied.add(member);
    return true;
}

[[gnu::flatten]] bool OfflineDelivery::send_copy(SentFanout& fanout, const std::string& member,
                                                 xmpp::Moment now, xmpp::Decisions& out) {
    return add_copy(fanout, member, now, out, false);
}

bool OfflineDelivery::send_notice(SentFanout& fanout, const std::string& member, bool mention,
                                  xmpp::Moment now, xmpp::Decisions& out) {
    // A held-back message counts as handled: a late delivery must not count it twice.
    if (fanout.copied.has_room_for(member)) fanout.copied.add(member);
    std::uint32_t messages = 1;
    if (!mention) {
        const auto interval =
            std::chrono::duration_cast<std::chrono::milliseconds>(options_.notice.min_interval);
        messages = notice_pacer_.on_message(fanout.room, member, now_ms_, interval.count());
        if (messages == 0) {
            ++counters_.notices_suppressed;
            return false;
        }
    }
    // Unique without a clock or randomness: the message's key, the member and a sequence.
    char id[64];
    std::snprintf(id, sizeof id, "%s%016llx-%llu", kNoticeIdPrefix.data(),
                  static_cast<unsigned long long>(fanout.key ^ std::hash<std::string>{}(member)),
                  static_cast<unsigned long long>(++notices_made_));
    std::string& notice = out.inject_in_place(Direction::to_server);
    append_notice(notice, fanout.room, member, id, options_.notice.type,
                  notice_body(gist_of(fanout), fanout.room, messages, mention,
                              options_.notice.excerpt_chars));
    bounces_.sent(member, id, now);
    ++counters_.notices_sent;
    return true;
}

void OfflineDelivery::flush_fanout(DeliverySession& session, xmpp::Moment now,
                                   xmpp::Decisions& out) {
    for (std::size_t p = 0; p < session.pending_count_; ++p) {
        PendingFanout& pending = session.pending_[p];
        SentFanout& fanout = session.last_fanout_;
        fanout.active = true;
        fanout.room.swap(pending.room);
        fanout.raw.swap(pending.raw);
        fanout.id.swap(pending.id);
        fanout.key = pending.key;
        fanout.copied.clear();
        fanout.gist.reset();
        fanout.to = xml::find_attribute(fanout.raw, "to");
        fanout.source = {};
        // Nobody joins or leaves during the loop: the room is looked up once.
        const Occupancy::Presence present = occupancy_.presence_in(fanout.room);
        // The common case, copies to everyone, decided once per message rather than per member.
        const bool copies_only =
            !options_.only_mentions &&
            (options_.delivery == Delivery::groupchat ||
             (options_.delivery == Delivery::automatic && on_notices_.empty()));
        bool any = false;
        registrations_.for_each_opted_in(fanout.room, [&](const std::string& member) {
            if (!copies_only) {
                any = deliver(fanout, present, member, now, out) || any;
            } else if (!present.has(member) && (paused_.empty() || !paused_.contains(member))) {
                any = add_copy(fanout, member, now, out, true) || any;
            }
        });
        // The copies listed above, all at once (the list holds nothing else on this path).
        if (copies_only) bounces_.sent_all(fanout.copied, fanout.id, now);
        if (any) ++counters_.messages_fanned_out;
    }
    // The entries stay, holding the buffers the swaps gave them, for the next messages.
    session.pending_count_ = 0;
}

}  // namespace offline
