// One component session's part of the offline feature, as the filter the session runs: what
// lives from the session's start to its end (requests waiting for the MUC's answer, join
// attempts, the broadcast under way, the fan-out of the last message). The link's state
// (registrations, occupancy, members' delivery, bounces) is the OfflineDelivery it belongs to,
// shared by every session of the link, before and after a reconnection.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "offline/broadcast.hpp"
#include "offline/message_gist.hpp"
#include "offline/occupant_tracker.hpp"
#include "offline/offline_delivery.hpp"
#include "offline/packed_members.hpp"
#include "offline/registration_flow.hpp"
#include "xml/start_tag.hpp"
#include "xmpp/stanza_filter.hpp"

namespace offline {

// A JID of this MUC's as the session read it last: room@domain/nick (nick empty without one).
// Kept by the session and refilled for each stanza, so its buffers keep their capacity.
struct RoomAddress {
    std::string prepared;  // the whole JID, prepared
    std::string room;
    std::string nick;
};

// A broadcast whose copies are still coming: the copies to absent members go out once it has
// passed (next stanza from the MUC, or the end of what was read).
struct PendingFanout {
    std::string room;  // (an entry is reused: each field is assigned for every message)
    std::string raw;   // one copy of the broadcast, the template for the bare-JID copies
    std::string id;
    std::uint64_t key;  // broadcast_key: the message, for the notices' ids
};

// The last message fanned out, until its broadcast is known to be complete (kept, not
// destroyed, between messages: its buffers keep their capacity).
struct SentFanout {
    bool active = false;
    std::string room;
    std::string raw;
    std::string id;
    std::uint64_t key = 0;
    std::optional<xml::ValueSpan> to;    // in `raw`, where each copy puts its member
    xmpp::Decisions::CopySource source;  // `raw` as the decisions its copies are in keep it
    PackedMembers copied;                // members it was copied or noticed to (or held back)
    std::optional<MessageGist> gist;     // read when a notice or a mention needs it
};

class DeliverySession : public xmpp::StanzaFilter {
  public:
    // `keep_alive`, when given, keeps the link's state as long as the session: a reload may
    // drop the link while its sessions end.
    explicit DeliverySession(OfflineDelivery& link,
                             std::shared_ptr<OfflineDelivery> keep_alive = nullptr);
    ~DeliverySession() override;
    DeliverySession(const DeliverySession&) = delete;
    DeliverySession& operator=(const DeliverySession&) = delete;

    void on_stanza(xmpp::Direction direction, const xmpp::Stanza& stanza, xmpp::Moment now,
                   xmpp::Decisions& out) override;
    void on_batch_end(xmpp::Direction direction, xmpp::Moment now, xmpp::Decisions& out) override;
    void on_session_end(xmpp::Moment now, xmpp::Decisions& out) override;
    void prepare_ahead() override;

  private:
    friend class OfflineDelivery;

    OfflineDelivery& link_;
    std::shared_ptr<OfflineDelivery> keep_alive_;
    RegistrationFlow flow_;
    OccupantTracker occupants_;
    BroadcastTracker broadcasts_;
    LastBroadcastCopy last_copy_;
    std::string recipient_;     // the prepared full JID of a copy to a new session (buffer reused)
    RoomAddress room_address_;  // the room and nick of the stanza at hand
    // The first pending_count_ are waiting (at most one in practice). The entries are reused,
    // and so are the buffers they hold: no allocation per message.
    std::vector<PendingFanout> pending_;
    std::size_t pending_count_ = 0;
    // The room of the broadcast whose copies may still come, while broadcast_open_.
    std::string open_broadcast_room_;
    bool broadcast_open_ = false;
    SentFanout last_fanout_;
};

// A new session's filter on `link`, keeping it alive.
std::shared_ptr<DeliverySession> open_session(std::shared_ptr<OfflineDelivery> link);

}  // namespace offline
