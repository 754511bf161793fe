#pragma once
// XEP-0045 steps beyond joining and talking: room registration (§7.10) with the offline
// field, nick changes (§7.6), affiliation changes (§9.3, §9.4, §10.6) and destroying a room
// (§10.9). Each sends its stanza and returns the answer, so tests can also check refusals.

#include <string>
#include <vector>

#include "stack.hpp"

namespace rig::muc {

inline constexpr const char* kOfflineField = "{http://tigase.org/protocol/muc}offline";

// iq get jabber:iq:register to the room; returns the answer (result with a form, or error).
StanzaRecord get_registration_form(Stack& stack, Client& client, const std::string& room_jid);

// iq set with a submitted form: FORM_TYPE, muc#register_roomnick and the offline field
// (`offline_value` as written, e.g. "true", "0"; empty leaves the field out).
StanzaRecord submit_registration(Stack& stack, Client& client, const std::string& room_jid,
                                 const std::string& nick, const std::string& offline_value);

// iq set <remove/>: cancels the registration.
StanzaRecord remove_registration(Stack& stack, Client& client, const std::string& room_jid);

// Presence to room/new_nick; returns the MUC's self-presence under the new nick.
StanzaRecord change_nick(Stack& stack, Client& client, const std::string& room_jid,
                         const std::string& new_nick);

// muc#admin item with jid and affiliation (none, member, outcast...); returns the answer.
StanzaRecord set_affiliation(Stack& stack, Client& admin, const std::string& room_jid,
                             const std::string& member_bare_jid, const std::string& affiliation);

// Fetches the form and submits `nick` with offline=true; throws if either is refused.
void opt_in(Stack& stack, Client& client, const std::string& room_jid, const std::string& nick);

// The offline feature's copies at `client`: groupchat messages from `occupant` (room/nick)
// addressed to its bare JID, received from index `since` on.
std::vector<StanzaRecord> copies_at(const Client& client, const std::string& occupant,
                                    std::size_t since = 0);

// muc#owner <destroy/>; returns the answer.
StanzaRecord destroy_room(Stack& stack, Client& owner, const std::string& room_jid);

}  // namespace rig::muc
