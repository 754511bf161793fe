#include "offline/message_kind.hpp"

#include <string_view>

namespace offline {
namespace {

constexpr std::string_view kHints = "urn:xmpp:hints";
constexpr std::string_view kEme = "urn:xmpp:eme:0";
constexpr std::string_view kChatMarkers = "urn:xmpp:chat-markers:0";

// <body/> and <subject/> are in the stanza's own namespace, whichever stream it came on.
bool is_stanza_namespace(std::string_view ns) {
    return ns == "jabber:component:accept" || ns == "jabber:client";
}

}  // namespace

bool worth_copying(const xml::ElementView& message) {
    bool wanted = false;
    for (const xml::QName& child : message.children()) {
        if (is_stanza_namespace(child.ns)) {
            if (child.local == "subject") return false;
            if (child.local == "body") wanted = true;
        } else if (child.ns == kHints) {
            if (child.local == "no-store" || child.local == "no-permanent-store") return false;
            if (child.local == "store") wanted = true;
        } else if (child.ns == kEme || child.ns == kChatMarkers) {
            wanted = true;
        }
    }
    return wanted;
}

}  // namespace offline
