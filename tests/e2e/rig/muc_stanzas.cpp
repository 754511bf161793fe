#include "muc_stanzas.hpp"

#include "xmpp/stream_text.hpp"

namespace rig::muc {

std::string join(const std::string& occupant_jid, const std::string& id) {
    return "<presence to='" + xmpp::escape_xml(occupant_jid) + "' id='" + xmpp::escape_xml(id) +
           "'><x xmlns='" + kMucNs + "'/></presence>";
}

std::string accept_default_config(const std::string& room_jid, const std::string& id) {
    return "<iq type='set' to='" + xmpp::escape_xml(room_jid) + "' id='" + xmpp::escape_xml(id) +
           "'><query xmlns='" + kMucOwnerNs +
           "'><x xmlns='jabber:x:data' type='submit'/></query></iq>";
}

std::string groupchat(const std::string& room_jid, const std::string& body, const std::string& id,
                      const std::string& extra_children) {
    return "<message type='groupchat' to='" + xmpp::escape_xml(room_jid) + "' id='" +
           xmpp::escape_xml(id) + "'><body>" + xmpp::escape_xml(body) + "</body>" + extra_children +
           "</message>";
}

std::string leave(const std::string& occupant_jid, const std::string& id) {
    return "<presence type='unavailable' to='" + xmpp::escape_xml(occupant_jid) + "' id='" +
           xmpp::escape_xml(id) + "'/>";
}

std::string disco_info(const std::string& to, const std::string& id) {
    return "<iq type='get' to='" + xmpp::escape_xml(to) + "' id='" + xmpp::escape_xml(id) +
           "'><query xmlns='" + kDiscoInfoNs + "'/></iq>";
}

}  // namespace rig::muc
