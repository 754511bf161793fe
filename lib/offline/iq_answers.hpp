// The iq answers the proxy writes itself, in standalone mode, on the room's behalf
// (RFC 6120 §8.2.3 result, §8.3 error).
#pragma once

#include <string>
#include <string_view>

#include "xmpp/stanza_tree.hpp"

namespace offline {

// Addressing of an answer: from the addressee of the request to its sender, same id.
struct IqAddress {
    std::string_view from;
    std::string_view to;
    std::string_view id;
};

// <iq type='result'/> with nothing in it.
std::string empty_result(const IqAddress& address);
// <iq type='result'/> with a <query xmlns='jabber:iq:register'> holding `form`.
std::string register_result(const IqAddress& address, xmpp::StanzaTree form);

// A stanza error (RFC 6120 §8.3.3) with a human-readable <text> saying why.
struct StanzaError {
    const char* type;       // cancel, modify, auth, wait
    const char* condition;  // e.g. bad-request
    std::string text;
};
std::string iq_error(const IqAddress& address, const StanzaError& error);

}  // namespace offline
