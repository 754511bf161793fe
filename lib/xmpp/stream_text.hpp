// The few stream-level elements the proxy writes itself (RFC 6120 §4.7, §4.9; XEP-0114 §3).
#pragma once

#include <string>
#include <string_view>

namespace xmpp {

inline constexpr std::string_view kStreamsNs = "http://etherx.jabber.org/streams";
inline constexpr std::string_view kStreamErrorsNs = "urn:ietf:params:xml:ns:xmpp-streams";
inline constexpr std::string_view kComponentAcceptNs = "jabber:component:accept";

// Escapes text for use in character data or a single- or double-quoted attribute value.
std::string escape_xml(std::string_view text);

// A stream header as a server answers a component (XEP-0114 §3), used when the proxy must
// answer the component itself because the server never will (wrong domain, unreachable).
std::string server_stream_header(std::string_view from, std::string_view id);

// <stream:error> with a defined condition (RFC 6120 §4.9.3) and an optional text. The
// element declares the streams prefix itself so it is valid whatever prefix the peer chose.
std::string stream_error(std::string_view condition, std::string_view text);

// The closing tag matching a header written with `prefix` (empty for no prefix).
std::string stream_close(std::string_view prefix);

}  // namespace xmpp
