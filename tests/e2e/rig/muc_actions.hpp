#pragma once
// XEP-0045 steps a client takes, each one sent and then waited for: a step returns once the
// MUC has answered it, so the next step starts from a known state.
#include <string>

#include "client.hpp"
#include "stack.hpp"
#include "stanza_record.hpp"

namespace rig::muc {

// Enters a room that does not exist yet and accepts the default configuration, which makes
// it an instant room (§10.1.2). Returns when the owner form is accepted.
void create_instant_room(Stack& stack, Client& owner, const std::string& room_jid,
                         const std::string& nick);

// Enters an existing room (§7.2); returns the self-presence (status 110).
StanzaRecord join_room(Stack& stack, Client& client, const std::string& room_jid,
                       const std::string& nick);

// Sends a groupchat message and waits for the room to reflect it to the sender (§7.4).
// Returns the id it used. `extra_children` (raw XML) goes after the body, e.g. a XEP-0372
// reference or an OMEMO element.
std::string say(Stack& stack, Client& client, const std::string& room_jid, const std::string& nick,
                const std::string& body, const std::string& extra_children = "");

// Exits the room (§7.14); returns once the MUC confirmed with an unavailable self-presence.
void leave_room(Stack& stack, Client& client, const std::string& room_jid, const std::string& nick);

// XEP-0030 disco#info to `to`; returns the answer (result or error).
StanzaRecord disco_info(Stack& stack, Client& client, const std::string& to);

}  // namespace rig::muc
