// The room registration form (XEP-0045 §7.10, a XEP-0004 data form inside jabber:iq:register)
// and the one field this proxy adds to it: Tigase's boolean
// `{http://tigase.org/protocol/muc}offline`.
#pragma once

#include <strophe.h>

#include <optional>
#include <string>
#include <string_view>

#include "xmpp/stanza_tree.hpp"

namespace offline {

inline constexpr char kRegisterNs[] = "jabber:iq:register";
inline constexpr char kDataFormsNs[] = "jabber:x:data";
inline constexpr char kRegisterFormType[] = "http://jabber.org/protocol/muc#register";
inline constexpr char kRoomNickVar[] = "muc#register_roomnick";
inline constexpr char kOfflineVar[] = "{http://tigase.org/protocol/muc}offline";
inline constexpr char kOfflineLabel[] = "Receive messages while not connected to the room";

// XEP-0004 §3.3 boolean: "1"/"true" or "0"/"false"; nullopt for anything else.
std::optional<bool> parse_form_boolean(std::string_view text);

// The form's FORM_TYPE (XEP-0068), empty when it has none.
std::string form_type(xmpp_stanza_t* form);
// The first <field var=...> of a form, or null.
xmpp_stanza_t* find_field(xmpp_stanza_t* form, std::string_view var);
// The first <value> of a field, empty when none.
std::string field_value(xmpp_stanza_t* field);

// The data form under `query` whose FORM_TYPE is the room registration one, or null. With
// `allow_untyped`, a form without FORM_TYPE counts too (some clients omit it on submit).
xmpp_stanza_t* find_register_form(xmpp_stanza_t* query, bool allow_untyped);

// What a member submitted (x type='submit').
struct RegisterSubmit {
    std::optional<std::string> nick;  // the muc#register_roomnick value, when the field is there
    std::optional<bool> offline;      // the offline field's value, when present and valid
    bool has_offline_field = false;   // present at all (even with an invalid value)
};
RegisterSubmit read_submit(xmpp_stanza_t* form);

// Appends the offline field, valued `offline`, to a form.
void append_offline_field(xmpp_stanza_t* form, bool offline);

// A whole registration form: FORM_TYPE, the nick (valued when known) and the offline field.
xmpp::StanzaTree new_register_form(std::string_view nick, bool offline);

}  // namespace offline
