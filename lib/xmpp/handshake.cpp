#include "xmpp/handshake.hpp"

#include <strophe.h>

namespace xmpp {

std::string handshake_digest(std::string_view stream_id, std::string_view secret) {
    std::string input(stream_id);
    input += secret;
    unsigned char digest[XMPP_SHA1_DIGEST_SIZE];
    xmpp_sha1_digest(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char byte : digest) {
        hex += kHex[byte >> 4];
        hex += kHex[byte & 0xf];
    }
    return hex;
}

}  // namespace xmpp
