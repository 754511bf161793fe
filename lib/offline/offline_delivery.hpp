// The offline-delivery feature on one link: watches registrations and occupancy, recognizes
// each new groupchat message in the MUC's broadcast, and sends a copy to every opted-in member
// who has no resource in the room; swallows the bounces of those copies. Pure: stanzas and the
// time in, ordered decisions out. This is the link's state and the logic; each component
// session runs it through its own filter (DeliverySession, open_session()), which holds what
// belongs to that session only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "offline/bounces.hpp"
#include "offline/message_gist.hpp"
#include "offline/notices.hpp"
#include "offline/occupancy.hpp"
#include "offline/options.hpp"
#include "offline/registration_flow.hpp"
#include "offline/registrations.hpp"
#include "offline/state_store.hpp"
#include "xmpp/stanza_filter.hpp"

namespace offline {

struct DeliveryCounters {
    std::uint64_t messages_fanned_out =
        0;  // new qualifying messages that had absent members to copy to
    std::uint64_t copies_sent = 0;
    std::uint64_t bounces_swallowed = 0;
    std::uint64_t members_paused = 0;
    std::uint64_t registrations_revoked = 0;  // by ban or removal presence (301, 321)
    std::uint64_t notices_sent = 0;
    std::uint64_t notices_suppressed = 0;  // held back by notice.min_interval (counted later)
    std::uint64_t members_switched_to_notices = 0;  // by delivery "auto", after a bounce
};

class DeliverySession;
struct SentFanout;

class OfflineDelivery {
  public:
    // Every change worth keeping across a restart is a `record` decision (StateChangeRecord),
    // in order with the others: a persist that follows waits for it.
    OfflineDelivery(Options options, std::string muc_domain);

    // Loads what a store kept; records nothing.
    void restore(const StoredState& state);
    // A reload changed the link's feature options; the state stays.
    void set_options(const Options& options);

    const std::string& domain() const { return domain_; }
    const DeliveryCounters& counters() const { return counters_; }
    const RegistrationCounters& registration_counters() const { return registration_.counters; }
    const Registrations& registrations() const { return registrations_; }
    Registrations& registrations() { return registrations_; }
    const Occupancy& occupancy() const { return occupancy_; }
    // Rooms whose broadcast may still be under way (at most one per session in practice).
    std::size_t broadcast_rooms() const;
    // Component sessions running on this link's state now.
    std::size_t sessions() const { return sessions_.size(); }
    bool is_paused(std::string_view member) const { return paused_.contains(std::string(member)); }
    std::size_t paused_members() const { return paused_.size(); }
    // Whether `member` gets notices instead of copies (delivery "notice", or "auto" after a
    // bounce).
    bool gets_notices(std::string_view member) const;
    // Copies still waiting for a possible bounce, and those forgotten early to stay in
    // options.max_tracked_copies.
    std::size_t tracked_copies() const { return bounces_.tracked(); }
    std::uint64_t copies_forgotten() const { return bounces_.forgotten(); }
    // The tables fed by the server side, bounded in bytes (each session's on its own):
    // requests waiting for the MUC's answer, and join attempts waiting for its presence. The
    // evictions count those of ended sessions too.
    std::size_t pending_iq_bytes() const;
    std::uint64_t pending_iq_evictions() const;
    std::size_t pending_join_bytes() const;
    std::uint64_t pending_join_evictions() const;
    // Stanzas the feature left unread for being over options.tree_limits, by limit.
    TreeLimitCounters tree_limit_refusals() const;

  private:
    friend class DeliverySession;

    // What a session's filter hands on, with the session's own state.
    void on_stanza(DeliverySession& session, xmpp::Direction direction, const xmpp::Stanza& stanza,
                   xmpp::Moment now, xmpp::Decisions& out);
    void on_batch_end(DeliverySession& session, xmpp::Direction direction, xmpp::Moment now,
                      xmpp::Decisions& out);
    void prepare_ahead() { bounces_.prepare_ahead(); }
    void opened(DeliverySession& session);
    void closed(DeliverySession& session);
    // The sum of `count(session)` over the sessions open now.
    template <typename Count>
    std::uint64_t over_sessions(Count count) const;

    void from_component(DeliverySession& session, const xmpp::Stanza& stanza, xmpp::Moment now,
                        xmpp::Decisions& out);
    bool groupchat_copy(DeliverySession& session, const xmpp::Stanza& stanza, xmpp::Moment now,
                        xmpp::Decisions& out);
    // A broadcast copy's recipient id into `who`, and `known` when it is a session of `room`'s
    // already; otherwise its `to` into `recipient`, prepared. False when `to` is no full JID.
    bool read_recipient(const std::string& room, std::string_view to, std::string& recipient,
                        std::uint64_t& who, bool& known) const;
    void from_server(DeliverySession& session, const xmpp::Stanza& stanza, xmpp::Moment now,
                     xmpp::Decisions& out);
    void on_room_message(DeliverySession& session, const xmpp::Stanza& stanza,
                         const std::string& room, std::uint64_t key);
    void on_bounce_free_copy(std::string_view member, xmpp::Decisions& out);
    void on_registration_change(const std::string& room, const std::string& member,
                                const Registration* now, std::string_view why,
                                xmpp::Decisions& out);
    void record(StateChange change, xmpp::Decisions& out) const;
    void record_member(const std::string& member, xmpp::Decisions& out);
    bool swallow_bounce(const xmpp::Stanza& stanza, xmpp::Decisions& out);
    void flush_fanout(DeliverySession& session, xmpp::Moment now, xmpp::Decisions& out);
    void complete_broadcast(DeliverySession& session, xmpp::Moment now, xmpp::Decisions& out);
    // A copy or a notice to `member` if they are absent and want this message.
    bool deliver(SentFanout& fanout, const Occupancy::Presence& present, const std::string& member,
                 xmpp::Moment now, xmpp::Decisions& out);
    bool send_copy(SentFanout& fanout, const std::string& member, xmpp::Moment now,
                   xmpp::Decisions& out);
    // send_copy(); with `in_order` (the fan-out's own loop, members ascending) the bounce
    // tracker hears of the copy with the others, at the end of the loop.
    bool add_copy(SentFanout& fanout, const std::string& member, xmpp::Moment now,
                  xmpp::Decisions& out, bool in_order);
    bool send_notice(SentFanout& fanout, const std::string& member, bool mention, xmpp::Moment now,
                     xmpp::Decisions& out);
    const MessageGist& gist_of(SentFanout& fanout);
    // delivery "auto": a bounced copy moves its member to notices; true when it did.
    bool switch_to_notices(const xmpp::Stanza& bounce, const std::string& member,
                           const std::string& room, xmpp::Decisions& out);

    Options options_;
    std::string domain_;
    std::int64_t now_ms_ = 0;
    Registrations registrations_;
    Occupancy occupancy_;
    RegistrationShared registration_;
    BounceTracker bounces_;
    StringKeyMap<std::uint32_t> bounce_streaks_;
    std::unordered_set<std::string> paused_;
    StringKeySet on_notices_;  // switched by delivery "auto"
    NoticePacer notice_pacer_;
    std::uint64_t notices_made_ = 0;  // makes each notice's id unique
    DeliveryCounters counters_;
    TreeLimitCounters presence_tree_limit_refusals_;  // the registration flow counts its own
    std::vector<DeliverySession*> sessions_;          // open now
    // Evictions from the tables of sessions that have ended.
    std::uint64_t ended_iq_evictions_ = 0;
    std::uint64_t ended_join_evictions_ = 0;
};

// The feature's counters in one line, for the log at shutdown and the replay report.
std::string summary_line(const OfflineDelivery& delivery);

}  // namespace offline
