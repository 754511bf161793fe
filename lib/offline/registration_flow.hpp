// The registration side of offline delivery (XEP-0045 §7.10 plus Tigase's
// `{http://tigase.org/protocol/muc}offline` field): who opted in to which room, as the register
// iqs crossing the component link say, and who lost that by revocation or destruction.
//
// augment (the MUC implements §7.10): the proxy adds its field to the MUC's form and to its
// disco#info, watches submits, and commits a member's choice only when the MUC accepts it.
// standalone (the MUC has no §7.10, e.g. mu-conference): the proxy answers register iqs to
// rooms itself, and only from current occupants under their own nick.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "offline/iq_answers.hpp"
#include "offline/occupancy.hpp"
#include "offline/options.hpp"
#include "offline/pending_iqs.hpp"
#include "offline/registrations.hpp"
#include "offline/tree_limit_refusals.hpp"
#include "xml/element_view.hpp"
#include "xmpp/stanza_filter.hpp"

namespace offline {

struct RegistrationCounters {
    std::uint64_t committed = 0;        // registrations set (opt-in and opt-out alike)
    std::uint64_t removed = 0;          // registrations deleted: <remove/>, revocation, destroy
    std::uint64_t refused = 0;          // submits answered with an error (by the MUC or the proxy)
    std::uint64_t forms_augmented = 0;  // register forms the proxy added its field to or wrote
    std::uint64_t native_rooms = 0;     // rooms found to offer the field themselves
    // Submits, removals, revocations and destructions refused up front (wait,
    // resource-constraint): the pending table had no room to keep them.
    std::uint64_t refused_untracked = 0;
    // MUC results to marked submits no longer waiting (expired): the member got an error.
    std::uint64_t late_answers = 0;
    std::uint64_t restored = 0;  // registrations given back when the MUC refused a removal
};

// What the flows of one link's sessions share: what they counted and the rooms found native.
struct RegistrationShared {
    RegistrationCounters counters;
    TreeLimitCounters tree_limit_refusals;
    std::set<std::string, std::less<>> native_rooms;
};

// One per component session: the requests waiting for the MUC's answer are that session's (the
// MUC answers on the connection it was asked on); registrations, occupancy and `shared` are
// the link's.
class RegistrationFlow {
  public:
    RegistrationFlow(const Options& options, std::string muc_domain, Registrations& registrations,
                     const Occupancy& occupancy, RegistrationShared& shared);

    // Each returns true when it decided what happens to the stanza (filled `out`, which may
    // mean dropping it by adding nothing but injections), false when the caller should treat
    // the stanza itself (normally: forward it unchanged).
    bool from_server(const xml::ElementView& top, std::string_view raw, xmpp::Moment now,
                     xmpp::Decisions& out);  // server -> MUC
    bool from_component(const xml::ElementView& top, std::string_view raw, xmpp::Moment now,
                        xmpp::Decisions& out);  // MUC -> server

    // Rooms (prepared bare JIDs) whose own register form carries the offline field: the MUC
    // delivers offline itself, so the proxy leaves them alone. Members whose registration a
    // revocation or destroy removed are gone from `registrations`.
    bool is_native(std::string_view room) const;
    // A reload: submits already waiting keep the deadline they were given.
    void set_options(const Options& options) {
        options_ = options;
        pending_.set_max_bytes(options.max_pending_iq_bytes);
    }
    const RegistrationCounters& counters() const { return counters_; }
    // Between batches (PendingIqs::prepare_ahead).
    void prepare_ahead() { pending_.prepare_ahead(); }
    std::size_t pending_bytes() const { return pending_.bytes(); }
    std::uint64_t pending_evictions() const { return pending_.evictions(); }
    const TreeLimitCounters& tree_limit_refusals() const { return tree_limit_refusals_; }

  private:
    // An iq from a user to one of this MUC's rooms, JIDs prepared.
    struct RoomRequest {
        std::string room;       // bare room JID
        std::string requester;  // full JID of the sender
        std::string member;     // its bare JID: the registration key
        IqAddress reply;        // addressing of an answer, spelled as the request was (views
                                // into the request's attributes: valid during the call only)
    };
    // Reads the JIDs into prepared_from_ and prepared_to_.
    std::optional<RoomRequest> room_request(const xml::ElementView& top);

    bool track_register(const RoomRequest& request, std::string_view type, std::string_view raw,
                        xmpp::Moment now, xmpp::Decisions& out);
    void answer_register(const RoomRequest& request, std::string_view type, std::string_view raw,
                         xmpp::Decisions& out);
    std::optional<StanzaError> refuse_submit(const RoomRequest& request, const std::string& nick,
                                             bool offline) const;
    bool track_removal(const RoomRequest& request, xmpp::Moment now, xmpp::Decisions& out);
    bool track_revocation(const RoomRequest& request, std::string_view raw, xmpp::Moment now,
                          xmpp::Decisions& out);
    bool track_destroy(const RoomRequest& request, std::string_view raw, xmpp::Moment now,
                       xmpp::Decisions& out);
    bool keep_or_refuse(const RoomRequest& request, PendingIq iq, xmpp::Decisions& out);
    void take_away(const std::string& room, const PendingIq& iq, std::string_view why,
                   xmpp::Decisions& out);

    bool settle(PendingIq iq, const std::string& room, const std::string& member,
                const xml::ElementView& answer, std::string_view raw, xmpp::Decisions& out);
    bool answer_forgotten_submit(const xml::ElementView& answer, std::string_view raw,
                                 xmpp::Decisions& out);
    bool augment_register_result(const std::string& room, const std::string& member,
                                 std::string_view raw, xmpp::Decisions& out);
    bool augment_disco(const std::string& room, std::string_view raw, xmpp::Decisions& out);
    // Over the tree limits: a request is refused, a stanza from the MUC left as it is.
    void refuse_over_tree_limit(const RoomRequest& request, std::string_view type,
                                xmpp::TreeLimit limit, xmpp::Decisions& out);
    bool over_tree_limit(std::string_view raw, std::string_view stanza, xmpp::Decisions& out);
    void mark_native(const std::string& room, xmpp::Decisions& out);

    PendingIq pending(PendingIq::Kind kind, xmpp::Moment now) const;
    bool current_choice(const std::string& room, const std::string& member) const;

    Options options_;
    std::string muc_domain_;  // prepared
    Registrations& registrations_;
    const Occupancy& occupancy_;
    PendingIqs pending_;
    // The prepared JIDs of the iq at hand (from, to), kept from one iq to the next so that
    // reading them allocates nothing: most iqs the flow reads are not its own.
    std::string prepared_from_;
    std::string prepared_to_;
    std::set<std::string, std::less<>>& native_rooms_;
    RegistrationCounters& counters_;
    TreeLimitCounters& tree_limit_refusals_;
};

}  // namespace offline
