#include "room_admin.hpp"

#include <stdexcept>

#include "muc_stanzas.hpp"
#include "xmpp/stream_text.hpp"

namespace rig::muc {
namespace {

using xmpp::escape_xml;

StanzaRecord ask(Stack& stack, Client& client, const std::string& to, const std::string& type,
                 const std::string& what, const std::string& payload) {
    const std::string id = client.next_id(what);
    std::size_t since = client.mark();
    client.send("<iq type='" + type + "' to='" + escape_xml(to) + "' id='" + escape_xml(id) + "'>" +
                payload + "</iq>");
    return stack.expect(client, StanzaPattern::iq().id(id), since);
}

std::string field(const std::string& var, const std::string& value) {
    return "<field var='" + escape_xml(var) + "'><value>" + escape_xml(value) + "</value></field>";
}

}  // namespace

StanzaRecord get_registration_form(Stack& stack, Client& client, const std::string& room_jid) {
    return ask(stack, client, room_jid, "get", "reg-get", "<query xmlns='jabber:iq:register'/>");
}

StanzaRecord submit_registration(Stack& stack, Client& client, const std::string& room_jid,
                                 const std::string& nick, const std::string& offline_value) {
    std::string form = "<x xmlns='jabber:x:data' type='submit'>" +
                       field("FORM_TYPE", "http://jabber.org/protocol/muc#register") +
                       field("muc#register_roomnick", nick);
    if (!offline_value.empty()) form += field(kOfflineField, offline_value);
    form += "</x>";
    return ask(stack, client, room_jid, "set", "reg-set",
               "<query xmlns='jabber:iq:register'>" + form + "</query>");
}

StanzaRecord remove_registration(Stack& stack, Client& client, const std::string& room_jid) {
    return ask(stack, client, room_jid, "set", "reg-remove",
               "<query xmlns='jabber:iq:register'><remove/></query>");
}

StanzaRecord change_nick(Stack& stack, Client& client, const std::string& room_jid,
                         const std::string& new_nick) {
    const std::string occupant = room_jid + "/" + new_nick;
    std::size_t since = client.mark();
    client.send("<presence to='" + escape_xml(occupant) + "' id='" +
                escape_xml(client.next_id("nick")) + "'/>");
    return stack.expect(
        client, StanzaPattern::presence().type("").from(occupant).status(kSelfPresence), since);
}

StanzaRecord set_affiliation(Stack& stack, Client& admin, const std::string& room_jid,
                             const std::string& member_bare_jid, const std::string& affiliation) {
    return ask(stack, admin, room_jid, "set", "affiliation",
               "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='" +
                   escape_xml(affiliation) + "' jid='" + escape_xml(member_bare_jid) +
                   "'/></query>");
}

void opt_in(Stack& stack, Client& client, const std::string& room_jid, const std::string& nick) {
    for (const StanzaRecord& answer :
         {get_registration_form(stack, client, room_jid),
          submit_registration(stack, client, room_jid, nick, "true")}) {
        if (answer.type != "result") {
            throw std::runtime_error(client.label() + " could not opt in to " + room_jid + ": " +
                                     answer.xml);
        }
    }
}

std::vector<StanzaRecord> copies_at(const Client& client, const std::string& occupant,
                                    std::size_t since) {
    std::vector<StanzaRecord> copies;
    const auto& received = client.received();
    for (std::size_t i = since; i < received.size(); ++i) {
        const StanzaRecord& stanza = received[i];
        if (stanza.name == "message" && stanza.type == "groupchat" && stanza.from == occupant &&
            stanza.to == client.account().bare_jid()) {
            copies.push_back(stanza);
        }
    }
    return copies;
}

StanzaRecord destroy_room(Stack& stack, Client& owner, const std::string& room_jid) {
    return ask(stack, owner, room_jid, "set", "destroy",
               "<query xmlns='" + std::string(kMucOwnerNs) +
                   "'><destroy><reason>closing</reason></destroy></query>");
}

}  // namespace rig::muc
