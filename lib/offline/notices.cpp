#include "offline/notices.hpp"

#include <cstring>

#include "xmpp/stanza_tree.hpp"
#include "xmpp/stream_text.hpp"

namespace offline {

std::string stanza_error_condition(std::string_view raw, const xmpp::TreeLimits& limits) {
    std::optional<xmpp::StanzaTree> tree = xmpp::StanzaTree::parse(raw, limits);
    if (!tree) return {};
    xmpp_stanza_t* error = xmpp::child(tree->root(), "error", nullptr);
    if (error == nullptr) return {};
    for (xmpp_stanza_t* c = xmpp_stanza_get_children(error); c != nullptr;
         c = xmpp_stanza_get_next(c)) {
        const char* ns = xmpp_stanza_get_ns(c);
        const char* name = xmpp_stanza_get_name(c);
        if (xmpp_stanza_is_tag(c) && name != nullptr && std::strcmp(name, "text") != 0 &&
            ns != nullptr && std::strcmp(ns, "urn:ietf:params:xml:ns:xmpp-stanzas") == 0) {
            return name;
        }
    }
    return {};
}

bool refuses_groupchat_to_bare(std::string_view condition) {
    return condition == "service-unavailable" || condition == "feature-not-implemented" ||
           condition == "not-acceptable" || condition == "recipient-unavailable";
}

std::string notice_body(const MessageGist& gist, std::string_view room, std::uint32_t messages,
                        bool mention, std::uint32_t excerpt_chars) {
    const std::string sender = gist.sender.empty() ? std::string("someone") : gist.sender;
    std::string body;
    if (mention) {
        body = sender + " mentioned you in " + std::string(room);
    } else if (messages > 1) {
        body = std::to_string(messages) + " new messages in " + std::string(room) + ", last from " +
               sender;
    } else {
        body = sender + " in " + std::string(room);
    }
    if (excerpt_chars == 0) return body;
    if (gist.encrypted) return body + ": [encrypted message]";
    std::string quoted = excerpt(gist.text, excerpt_chars);
    if (!quoted.empty()) body += ": " + quoted;
    return body;
}

void append_notice(std::string& out, std::string_view room, std::string_view member,
                   std::string_view id, NoticeType type, std::string_view body) {
    // Room, member and id hold no character that needs escaping (prepared JIDs; ids we make).
    out.append("<message from='")
        .append(room)
        .append("' to='")
        .append(member)
        .append("' type='")
        .append(type == NoticeType::chat ? "chat" : "normal")
        .append("' id='")
        .append(id)
        .append("'><body>")
        .append(xmpp::escape_xml(body))
        .append("</body><no-permanent-store xmlns='urn:xmpp:hints'/></message>");
}

std::string NoticePacer::key(std::string_view room, std::string_view member) {
    // A space is in no JID: the pair cannot be confused with another.
    std::string k;
    k.reserve(room.size() + 1 + member.size());
    k.append(room).push_back(' ');
    k.append(member);
    return k;
}

std::uint32_t NoticePacer::on_message(std::string_view room, std::string_view member,
                                      std::int64_t now_ms, std::int64_t interval_ms) {
    if (interval_ms <= 0) return 1;
    auto [it, first] = paces_.try_emplace(key(room, member));
    Pace& pace = it->second;
    if (!first && now_ms - pace.last_sent_ms < interval_ms) {
        ++pace.held;
        return 0;
    }
    const std::uint32_t messages = pace.held + 1;
    pace.last_sent_ms = now_ms;
    pace.held = 0;
    return messages;
}

void NoticePacer::forget(std::string_view room, std::string_view member) {
    if (paces_.empty()) return;
    paces_.erase(key(room, member));
}

}  // namespace offline
