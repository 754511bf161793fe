#include "offline/registration_flow.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "offline/disco_features.hpp"
#include "offline/register_form.hpp"
#include "offline/tagged_id.hpp"
#include "offline/tree_edit.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/stanza_tree.hpp"
#include "xmpp/stream_text.hpp"

namespace offline {
namespace {

constexpr char kMucAdminNs[] = "http://jabber.org/protocol/muc#admin";
constexpr char kMucOwnerNs[] = "http://jabber.org/protocol/muc#owner";
constexpr std::string_view kRevokedWhy = "affiliation changed to none or outcast";

using xmpp::Direction;

// A nick as the MUC compares it: resourceprep'd (XEP-0045 §7.2.2 via RFC 7622 §3.4), or as
// written when it does not prepare.
std::string prepared_nick(const std::string& room, const std::string& nick) {
    auto jid = xmpp::parse_jid(room + '/' + nick);
    return jid ? jid->resource : nick;
}

// What a member hears instead of "registered" when the store cannot keep the registration
// (RFC 6120 §8.3.3.18: the condition is temporary, so `wait`).
StanzaError registration_not_stored() {
    return {"wait", "resource-constraint",
            "The room's registration could not be stored; try again later"};
}

}  // namespace

RegistrationFlow::RegistrationFlow(const Options& options, std::string muc_domain,
                                   Registrations& registrations, const Occupancy& occupancy,
                                   RegistrationShared& shared)
    : options_(options),
      muc_domain_(xmpp::prepare_domain(muc_domain).value_or(muc_domain)),
      registrations_(registrations),
      occupancy_(occupancy),
      pending_(options.max_pending_iq_bytes),
      native_rooms_(shared.native_rooms),
      counters_(shared.counters),
      tree_limit_refusals_(shared.tree_limit_refusals) {}

bool RegistrationFlow::is_native(std::string_view room) const {
    return native_rooms_.find(room) != native_rooms_.end();
}

bool RegistrationFlow::from_server(const xml::ElementView& top, std::string_view raw,
                                   xmpp::Moment now, xmpp::Decisions& out) {
    if (top.name.local != "iq" || top.name.ns != xmpp::kComponentAcceptNs) return false;
    const std::string_view type = top.attribute("type");
    if (type != "get" && type != "set") return false;
    const bool register_query = top.has_child("query", kRegisterNs);
    const bool admin_query = type == "set" && top.has_child("query", kMucAdminNs);
    const bool owner_query = type == "set" && top.has_child("query", kMucOwnerNs);
    if (!register_query && !admin_query && !owner_query) return false;

    pending_.purge(now);
    const auto request = room_request(top);
    if (!request) return false;
    // Each of these is read as a tree, so each is checked before it is read.
    if (const auto over = xmpp::exceeded_tree_limit(raw, options_.tree_limits)) {
        refuse_over_tree_limit(*request, type, *over, out);
        return true;
    }
    if (register_query) {
        if (options_.registration == RegistrationMode::standalone) {
            answer_register(*request, type, raw, out);
            return true;
        }
        return track_register(*request, type, raw, now, out);
    }
    // Revocation works the same in both modes: the MUC owns affiliations and rooms.
    if (admin_query) return track_revocation(*request, raw, now, out);
    return track_destroy(*request, raw, now, out);
}

bool RegistrationFlow::from_component(const xml::ElementView& top, std::string_view raw,
                                      xmpp::Moment now, xmpp::Decisions& out) {
    if (top.name.local != "iq" || top.name.ns != xmpp::kComponentAcceptNs) return false;
    const std::string_view type = top.attribute("type");
    if (type != "result" && type != "error") return false;
    const bool disco = type == "result" && top.has_child("query", kDiscoInfoNs);
    const std::string_view id = top.attribute("id");
    pending_.purge(now);
    if (pending_.empty() && !disco && !is_tagged(id)) return false;

    // Answers from the service itself (no localpart) or from a room; never from an occupant.
    const std::optional<std::size_t> from_bare =
        xmpp::prepare_jid_into(top.attribute("from"), prepared_from_);
    if (!from_bare) return false;
    const xmpp::PreparedJidParts from = xmpp::prepared_parts(prepared_from_, *from_bare);
    if (from.domain != muc_domain_ || !from.resource.empty()) return false;
    // A view into prepared_from_: copied only for what settles an answer or augments a form.
    const std::string_view room = from.local.empty() ? std::string_view() : from.bare;
    if (!room.empty() && (!pending_.empty() || is_tagged(id))) {
        if (const std::optional<std::size_t> to_bare =
                xmpp::prepare_jid_into(top.attribute("to"), prepared_to_)) {
            const std::string_view requester = prepared_to_;
            std::optional<PendingIq> iq;
            // A marked id answers a marked submit; otherwise it is a member's own id that looks
            // marked (or a capture recorded before ids were marked), matched as it is.
            const PendingIq* marked =
                is_tagged(id) ? pending_.find(room, requester, untagged(id), now) : nullptr;
            const bool tagged_answer = marked != nullptr && marked->tagged;
            if (tagged_answer) {
                iq = pending_.take(room, requester, untagged(id), now);
            } else {
                iq = pending_.take(room, requester, id, now);
            }
            if (iq) {
                const bool submit = iq->kind == PendingIq::Kind::submit;
                const bool decided =
                    settle(std::move(*iq), std::string(room),
                           std::string(requester.substr(0, *to_bare)), top, raw, out);
                // The MUC's "registered" is only true for the member once it is on disk.
                if (submit && type == "result") {
                    out.if_not_durable(Direction::to_server,
                                       iq_error({top.attribute("from"), top.attribute("to"),
                                                 tagged_answer ? untagged(id) : id},
                                                registration_not_stored()));
                }
                return decided;
            }
            if (is_tagged(id)) return answer_forgotten_submit(top, raw, out);
        }
    }
    return disco && augment_disco(std::string(room), raw, out);
}

std::optional<RegistrationFlow::RoomRequest> RegistrationFlow::room_request(
    const xml::ElementView& top) {
    const std::string_view to_text = top.attribute("to");
    const std::string_view from_text = top.attribute("from");
    const std::string_view id = top.attribute("id");
    if (id.empty()) return std::nullopt;
    const std::optional<std::size_t> to_bare = xmpp::prepare_jid_into(to_text, prepared_to_);
    if (!to_bare) return std::nullopt;
    const xmpp::PreparedJidParts to = xmpp::prepared_parts(prepared_to_, *to_bare);
    if (to.local.empty() || !to.resource.empty() || to.domain != muc_domain_) return std::nullopt;
    // A sender whose JID does not prepare cannot be keyed: the MUC deals with it alone.
    const std::optional<std::size_t> from_bare = xmpp::prepare_jid_into(from_text, prepared_from_);
    if (!from_bare) return std::nullopt;
    return RoomRequest{std::string(to.bare), prepared_from_, prepared_from_.substr(0, *from_bare),
                       IqAddress{to_text, from_text, id}};
}

PendingIq RegistrationFlow::pending(PendingIq::Kind kind, xmpp::Moment now) const {
    PendingIq iq;
    iq.kind = kind;
    iq.expires = now + std::chrono::duration_cast<xmpp::Moment>(options_.pending_ttl);
    return iq;
}

bool RegistrationFlow::current_choice(const std::string& room, const std::string& member) const {
    const Registration* current = registrations_.find(room, member);
    return current != nullptr ? current->offline : options_.offline_default;
}

// Augment, server -> MUC: remember what the MUC's answer will settle; strip the field from a
// submit so the MUC sees a plain §7.10 form.
bool RegistrationFlow::track_register(const RoomRequest& request, std::string_view type,
                                      std::string_view raw, xmpp::Moment now,
                                      xmpp::Decisions& out) {
    if (is_native(request.room)) return false;
    const std::string id(request.reply.id);
    if (type == "get") {
        // Best effort: a form request the table cannot keep is answered without the field.
        pending_.add(request.room, request.requester, id,
                     pending(PendingIq::Kind::form_request, now));
        return false;
    }
    auto tree = xmpp::StanzaTree::parse(raw, options_.tree_limits);
    if (!tree) return false;
    xmpp_stanza_t* query = xmpp::child(tree->root(), "query", kRegisterNs);
    if (xmpp::child(query, "remove", nullptr) != nullptr) return track_removal(request, now, out);
    xmpp_stanza_t* form = find_register_form(query, true);
    if (form == nullptr || xmpp::attribute(form, "type") != "submit") return false;

    const RegisterSubmit submit = read_submit(form);
    const Registration* current = registrations_.find(request.room, request.member);
    PendingIq iq = pending(PendingIq::Kind::submit, now);
    iq.choice.nick = submit.nick.value_or(current != nullptr ? current->nick : std::string());
    // An absent (or unreadable) field keeps the member's choice: XEP-0004 submits may omit
    // fields the user did not touch.
    iq.choice.offline = submit.offline.value_or(current_choice(request.room, request.member));
    // A submit without the field goes on byte for byte, unmarked: if its answer comes after
    // it expired, the MUC's success reaches the member and the proxy records nothing (best
    // effort: the member chose nothing the proxy alone keeps).
    iq.tagged = submit.has_offline_field;
    if (!keep_or_refuse(request, std::move(iq), out)) return true;

    if (!submit.has_offline_field) return false;
    if (!options_.strip_field) {
        out.forward_rewritten(Direction::to_component, with_id(raw, tagged(id)));
        return true;
    }
    std::vector<xmpp_stanza_t*> offline_fields;
    for (xmpp_stanza_t* c = xmpp_stanza_get_children(form); c != nullptr;
         c = xmpp_stanza_get_next(c)) {
        if (xmpp_stanza_is_tag(c) && xmpp::attribute(c, "var") == kOfflineVar) {
            offline_fields.push_back(c);
        }
    }
    xmpp::StanzaTree stripped = copy_without(tree->root(), [&](xmpp_stanza_t* element) {
        return std::find(offline_fields.begin(), offline_fields.end(), element) !=
               offline_fields.end();
    });
    out.forward_rewritten(Direction::to_component, with_id(serialize_stanza(stripped), tagged(id)));
    return true;
}

// A request whose answer decides something is kept until the MUC answers, or refused before
// the MUC sees it (RFC 6120 §8.3.3.15): never forwarded untracked, never forgotten silently.
bool RegistrationFlow::keep_or_refuse(const RoomRequest& request, PendingIq iq,
                                      xmpp::Decisions& out) {
    if (pending_.add(request.room, request.requester, std::string(request.reply.id),
                     std::move(iq))) {
        return true;
    }
    ++counters_.refused_untracked;
    out.inject(Direction::to_server,
               iq_error(request.reply, {"wait", "resource-constraint",
                                        "Too many requests to this room service are waiting for "
                                        "an answer; send it again in a moment"}));
    return false;
}

// Removals happen when the request is seen, so that no forgotten request can leave a
// registration in place; the pending entry keeps what was taken, given back on an error.
void RegistrationFlow::take_away(const std::string& room, const PendingIq& iq, std::string_view why,
                                 xmpp::Decisions& out) {
    for (const auto& [member, registration] : iq.taken) {
        if (registrations_.remove(room, member, why, &out)) ++counters_.removed;
    }
}

// XEP-0077 §3.2 <remove/>, augment mode.
bool RegistrationFlow::track_removal(const RoomRequest& request, xmpp::Moment now,
                                     xmpp::Decisions& out) {
    PendingIq iq = pending(PendingIq::Kind::remove, now);
    iq.members.push_back(request.member);
    if (const Registration* current = registrations_.find(request.room, request.member)) {
        iq.taken.emplace_back(request.member, *current);
    }
    PendingIq removal = iq;
    if (!keep_or_refuse(request, std::move(iq), out)) return true;
    take_away(request.room, removal, "<remove/>", out);
    return false;
}

// Standalone, server -> MUC: the proxy is the room's registration service; the MUC never sees
// the request, so nothing is forwarded and the answer is injected toward the server.
void RegistrationFlow::answer_register(const RoomRequest& request, std::string_view type,
                                       std::string_view raw, xmpp::Decisions& out) {
    const Registration* current = registrations_.find(request.room, request.member);
    if (type == "get") {
        ++counters_.forms_augmented;
        out.inject(
            Direction::to_server,
            register_result(request.reply,
                            new_register_form(current != nullptr ? current->nick : "",
                                              current_choice(request.room, request.member))));
        return;
    }
    auto tree = xmpp::StanzaTree::parse(raw, options_.tree_limits);
    xmpp_stanza_t* query = tree ? xmpp::child(tree->root(), "query", kRegisterNs) : nullptr;
    if (xmpp::child(query, "remove", nullptr) != nullptr) {
        if (registrations_.remove(request.room, request.member, "<remove/>", &out))
            ++counters_.removed;
        out.inject(Direction::to_server, empty_result(request.reply));
        return;
    }
    xmpp_stanza_t* form = find_register_form(query, true);
    const std::string form_kind = xmpp::attribute(form, "type");
    if (form_kind == "cancel") {  // XEP-0004 §3.1: the member gave up; nothing changes
        out.inject(Direction::to_server, empty_result(request.reply));
        return;
    }
    if (form == nullptr || form_kind != "submit") {
        ++counters_.refused;
        out.inject(Direction::to_server,
                   iq_error(request.reply, {"modify", "bad-request",
                                            "Submit the room registration form "
                                            "(http://jabber.org/protocol/muc#register)"}));
        return;
    }
    const RegisterSubmit submit = read_submit(form);
    const std::string nick =
        submit.nick.value_or(current != nullptr ? current->nick : std::string());
    const bool offline = submit.offline.value_or(current_choice(request.room, request.member));
    if (auto refusal = refuse_submit(request, nick, offline)) {
        ++counters_.refused;
        out.inject(Direction::to_server, iq_error(request.reply, *refusal));
        return;
    }
    registrations_.set(request.room, request.member,
                       Registration{occupancy_.nick_of(request.room, request.requester)->empty()
                                        ? nick
                                        : *occupancy_.nick_of(request.room, request.requester),
                                    offline},
                       {}, &out);
    ++counters_.committed;
    out.if_not_durable(Direction::to_server, iq_error(request.reply, registration_not_stored()));
    out.inject(Direction::to_server, empty_result(request.reply));
}

// Why a standalone submit is refused, or nullopt when it is accepted. Only someone in the
// room, under their own nick, may register it: this keeps strangers and outcasts (who cannot
// be occupants) out, and keeps one member from reserving another's nick.
std::optional<StanzaError> RegistrationFlow::refuse_submit(const RoomRequest& request,
                                                           const std::string& nick,
                                                           bool offline) const {
    if (offline && nick.empty()) {
        return StanzaError{"modify", "bad-request",
                           "A nickname (muc#register_roomnick) is needed to receive messages "
                           "while not connected to the room"};
    }
    const auto occupant_nick = occupancy_.nick_of(request.room, request.requester);
    if (!occupant_nick) {
        return StanzaError{"auth", "forbidden",
                           "Only an occupant of the room can register with it: join it first"};
    }
    // A session known only from the MUC's broadcasts has no nick yet: the MUC vouches for the
    // occupant, and a registration's nick decides nothing about delivery.
    if (!occupant_nick->empty() &&
        prepared_nick(request.room, nick) != prepared_nick(request.room, *occupant_nick)) {
        return StanzaError{
            "modify", "not-acceptable",
            "The nickname to register must be your nickname in the room (" + *occupant_nick + ")"};
    }
    return std::nullopt;
}

// XEP-0045 §9.2 (outcast) and §9.4/§9.6/§9.8 (back to none): the members' registrations end
// when the admin's request is seen, and come back only if the MUC refuses it.
bool RegistrationFlow::track_revocation(const RoomRequest& request, std::string_view raw,
                                        xmpp::Moment now, xmpp::Decisions& out) {
    auto tree = xmpp::StanzaTree::parse(raw, options_.tree_limits);
    if (!tree) return false;
    xmpp_stanza_t* query = xmpp::child(tree->root(), "query", kMucAdminNs);
    PendingIq iq = pending(PendingIq::Kind::revoke, now);
    for (xmpp_stanza_t* c = xmpp_stanza_get_children(query); c != nullptr;
         c = xmpp_stanza_get_next(c)) {
        const char* name = xmpp_stanza_get_name(c);
        if (!xmpp_stanza_is_tag(c) || name == nullptr || std::string_view(name) != "item") continue;
        const std::string affiliation = xmpp::attribute(c, "affiliation");
        if (affiliation != "none" && affiliation != "outcast") continue;
        // Affiliations belong to bare JIDs (XEP-0045 §5.2); a full JID there means its bare one.
        if (auto member = xmpp::parse_jid(xmpp::attribute(c, "jid"))) {
            iq.members.push_back(member->bare());
        }
    }
    if (iq.members.empty()) return false;
    std::sort(iq.members.begin(), iq.members.end());
    iq.members.erase(std::unique(iq.members.begin(), iq.members.end()), iq.members.end());
    for (const std::string& member : iq.members) {
        if (const Registration* current = registrations_.find(request.room, member)) {
            iq.taken.emplace_back(member, *current);
        }
    }
    PendingIq revocation = iq;
    if (!keep_or_refuse(request, std::move(iq), out)) return true;
    take_away(request.room, revocation, kRevokedWhy, out);
    return false;
}

// XEP-0045 §10.9: a destroyed room takes its registrations with it, once the MUC says it is
// destroyed. Not applied earlier: anyone may ask, and giving a whole room back would mean
// keeping all of it in the table. If the answer never comes in pending_ttl, they stay.
bool RegistrationFlow::track_destroy(const RoomRequest& request, std::string_view raw,
                                     xmpp::Moment now, xmpp::Decisions& out) {
    auto tree = xmpp::StanzaTree::parse(raw, options_.tree_limits);
    if (!tree) return false;
    xmpp_stanza_t* query = xmpp::child(tree->root(), "query", kMucOwnerNs);
    if (xmpp::child(query, "destroy", nullptr) == nullptr) return false;
    return !keep_or_refuse(request, pending(PendingIq::Kind::destroy, now), out);
}

// MUC -> server: the MUC answered a request the proxy was waiting on.
bool RegistrationFlow::settle(PendingIq iq, const std::string& room, const std::string& member,
                              const xml::ElementView& answer, std::string_view raw,
                              xmpp::Decisions& out) {
    const bool accepted = answer.attribute("type") == "result";
    switch (iq.kind) {
        case PendingIq::Kind::form_request:
            return accepted && augment_register_result(room, member, raw, out);
        case PendingIq::Kind::submit:
            if (accepted) {
                registrations_.set(room, member, std::move(iq.choice), {}, &out);
                ++counters_.committed;
            } else {
                ++counters_.refused;
            }
            if (!iq.tagged || !is_tagged(answer.attribute("id"))) return false;
            out.forward_rewritten(Direction::to_server,
                                  with_id(raw, untagged(answer.attribute("id"))));
            return true;
        case PendingIq::Kind::remove:
        case PendingIq::Kind::revoke: {
            const std::string_view why =
                iq.kind == PendingIq::Kind::remove ? "<remove/>" : kRevokedWhy;
            if (accepted) {
                // Already removed at the request; again, in case a refused request for the same
                // member answered before this one gave it back (a MUC answers in order).
                for (const std::string& revoked : iq.members) {
                    if (registrations_.remove(room, revoked, why, &out)) ++counters_.removed;
                }
                return false;
            }
            for (auto& [revoked, registration] : iq.taken) {
                if (registrations_.find(room, revoked) != nullptr) continue;  // chosen anew since
                registrations_.set(room, revoked, std::move(registration),
                                   "given back: the MUC refused the removal", &out);
                ++counters_.restored;
            }
            return false;
        }
        case PendingIq::Kind::destroy:
            if (accepted)
                counters_.removed += registrations_.remove_room(room, "room destroyed", &out);
            return false;
    }
    return false;
}

// The MUC's answer to a marked submit the proxy no longer waits for (it expired): a success
// would tell the member "registered" with a choice nobody kept, so the member hears to submit
// again instead. An error passes, with the member's own id.
bool RegistrationFlow::answer_forgotten_submit(const xml::ElementView& answer, std::string_view raw,
                                               xmpp::Decisions& out) {
    const std::string_view id = untagged(answer.attribute("id"));
    if (answer.attribute("type") != "result") {
        out.forward_rewritten(Direction::to_server, with_id(raw, id));
        return true;
    }
    ++counters_.late_answers;
    out.inject(Direction::to_server,
               iq_error(IqAddress{answer.attribute("from"), answer.attribute("to"), id},
                        {"wait", "resource-constraint",
                         "The room's answer came too late for the offline-delivery choice "
                         "to be kept; submit the registration form again"}));
    return true;
}

void RegistrationFlow::refuse_over_tree_limit(const RoomRequest& request, std::string_view type,
                                              xmpp::TreeLimit limit, xmpp::Decisions& out) {
    tree_limit_refusals_.count(limit);
    out.inject(Direction::to_server,
               iq_error(request.reply, over_tree_limit_error(options_.tree_limits, limit)));
    out.note(over_tree_limit_note(
        "iq " + std::string(type) + " from " + request.requester + " to " + request.room,
        options_.tree_limits, limit, "answered policy-violation, not forwarded to the MUC"));
}

bool RegistrationFlow::over_tree_limit(std::string_view raw, std::string_view stanza,
                                       xmpp::Decisions& out) {
    const auto over = xmpp::exceeded_tree_limit(raw, options_.tree_limits);
    if (!over) return false;
    tree_limit_refusals_.count(*over);
    out.note(over_tree_limit_note(stanza, options_.tree_limits, *over,
                                  "forwarded as it is, without the proxy's changes"));
    return true;
}

}  // namespace offline
