// What a notice says about a room message, and whether it mentions a member: read once per
// message that needs it (notice delivery, only_mentions), from a libstrophe tree built within
// the link's tree limits. Copies never need it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "xmpp/tree_shape.hpp"

namespace offline {

struct MessageGist {
    std::string sender;  // the nick (the resource of the room JID it came from)
    std::string text;    // the first <body/>, empty when encrypted
    bool encrypted = false;
    std::vector<std::string> mention_uris;  // XEP-0372 references of type "mention"
};

// An unreadable stanza (over the limits, not well-formed) gives a gist with its sender only.
MessageGist read_gist(std::string_view raw, const xmpp::TreeLimits& limits);

// Whether the message mentions `member` (a prepared bare JID) registered in `room` as `nick`:
// a mention reference to xmpp:member or xmpp:room/nick, or the nick as a whole word of the
// text (ASCII letters compared without case).
bool mentions(const MessageGist& gist, std::string_view room, std::string_view member,
              std::string_view nick);

// The first `chars` characters (UTF-8 code points) of `text`, runs of white space as one
// space, with "…" when something was cut.
std::string excerpt(std::string_view text, std::uint32_t chars);

}  // namespace offline
