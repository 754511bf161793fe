// What the proxy adds to the MUC's answers in augment mode: the offline field in a room's
// register form (or a form of its own beside <registered/>), the Tigase feature in disco#info,
// and the rooms found to offer the field themselves.
#include "offline/disco_features.hpp"
#include "offline/register_form.hpp"
#include "offline/registration_flow.hpp"
#include "offline/tree_edit.hpp"
#include "xmpp/stanza_tree.hpp"

namespace offline {

using xmpp::Direction;

// The MUC's answer to a register get: give the member the offline field, in the MUC's form,
// or in a form of our own when the MUC only says <registered/> (Prosody, XEP-0077 §3.1).
bool RegistrationFlow::augment_register_result(const std::string& room, const std::string& member,
                                               std::string_view raw, xmpp::Decisions& out) {
    if (is_native(room)) return false;
    if (over_tree_limit(raw, "the MUC's register form for " + member + " in " + room, out)) {
        return false;
    }
    auto tree = xmpp::StanzaTree::parse(raw, options_.tree_limits);
    if (!tree) return false;
    xmpp_stanza_t* query = xmpp::child(tree->root(), "query", kRegisterNs);
    if (query == nullptr) return false;
    const bool offline = current_choice(room, member);
    if (xmpp_stanza_t* form = find_register_form(query, false); form != nullptr) {
        if (find_field(form, kOfflineVar) != nullptr) {
            out.forward(Direction::to_server);
            mark_native(room, out);
            return true;
        }
        if (xmpp::attribute(form, "type") != "form") return false;
        append_offline_field(form, offline);
    } else if (xmpp::child(query, "registered", nullptr) != nullptr) {
        std::string nick = xmpp::text_of(xmpp::child(query, "username", nullptr));
        if (nick.empty()) {
            const Registration* current = registrations_.find(room, member);
            if (current != nullptr) nick = current->nick;
        }
        adopt_child(query, new_register_form(nick, offline));
    } else {
        return false;
    }
    ++counters_.forms_augmented;
    out.forward_rewritten(Direction::to_server, serialize_stanza(*tree));
    return true;
}

// disco#info of the service (`room` empty) or of a room, node-less only: a node such as
// x-roomuser-item (XEP-0045 §7.12) asks another question.
bool RegistrationFlow::augment_disco(const std::string& room, std::string_view raw,
                                     xmpp::Decisions& out) {
    if (!room.empty() && is_native(room)) return false;
    if (over_tree_limit(
            raw, "the MUC's disco#info result for " + (room.empty() ? muc_domain_ : room), out)) {
        return false;
    }
    auto tree = xmpp::StanzaTree::parse(raw, options_.tree_limits);
    if (!tree) return false;
    xmpp_stanza_t* query = xmpp::child(tree->root(), "query", kDiscoInfoNs);
    if (query == nullptr || xmpp_stanza_get_attribute(query, "node") != nullptr) return false;
    const bool added = options_.registration == RegistrationMode::standalone && !room.empty()
                           ? add_features(query, {kRegisterNs, kOfflineFeature})
                           : add_features(query, {kOfflineFeature});
    if (!added) return false;
    out.forward_rewritten(Direction::to_server, serialize_stanza(*tree));
    return true;
}

void RegistrationFlow::mark_native(const std::string& room, xmpp::Decisions& out) {
    if (!native_rooms_.insert(room).second) return;
    ++counters_.native_rooms;
    out.note("offline: room " + room + " offers " + kOfflineVar +
             " in its own registration form; the proxy leaves it alone");
}

}  // namespace offline
