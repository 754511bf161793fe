// XEP-0114 §3: the component proves it knows the shared secret by sending
// hex(SHA-1(stream id + secret)). The proxy only relays it; this is for the test peers.
#pragma once

#include <string>
#include <string_view>

namespace xmpp {

std::string handshake_digest(std::string_view stream_id, std::string_view secret);

}  // namespace xmpp
