#pragma once
// The XEP-0045 stanzas a client sends, as XML text. Nothing here sends or waits.
#include <string>

namespace rig::muc {

inline constexpr const char* kMucNs = "http://jabber.org/protocol/muc";
inline constexpr const char* kMucUserNs = "http://jabber.org/protocol/muc#user";
inline constexpr const char* kMucOwnerNs = "http://jabber.org/protocol/muc#owner";
inline constexpr const char* kDiscoInfoNs = "http://jabber.org/protocol/disco#info";

// XEP-0045 status codes the rig looks for.
inline constexpr int kSelfPresence = 110;  // §7.2.3: this presence is about you
inline constexpr int kRoomCreated = 201;   // §10.1.1: a new room was created

// §7.2.1 entering a room: presence to room@service/nick with an empty <x xmlns=muc/>.
std::string join(const std::string& occupant_jid, const std::string& id);

// §10.1.2 instant room: the owner accepts the default configuration with an empty submit.
std::string accept_default_config(const std::string& room_jid, const std::string& id);

// §7.4 a message to all occupants.
std::string groupchat(const std::string& room_jid, const std::string& body, const std::string& id,
                      const std::string& extra_children = "");

// §7.14 exiting a room.
std::string leave(const std::string& occupant_jid, const std::string& id);

// XEP-0030 §3.1 disco#info.
std::string disco_info(const std::string& to, const std::string& id);

}  // namespace rig::muc
