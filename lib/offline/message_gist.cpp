#include "offline/message_gist.hpp"

#include <cstring>

#include "xml/start_tag.hpp"
#include "xmpp/stanza_tree.hpp"

namespace offline {
namespace {

bool in_stanza_namespace(const char* ns) {
    return ns == nullptr || std::strcmp(ns, "jabber:client") == 0 ||
           std::strcmp(ns, "jabber:component:accept") == 0;
}

// End-to-end encryption a notice must not quote: OMEMO (legacy and 2), OpenPGP for XMPP,
// legacy OpenPGP, and an EME declaration (XEP-0380). Their <body/> is only a fallback text.
bool is_encryption(const char* name, const char* ns) {
    if (ns == nullptr) return false;
    const std::string_view n(name), s(ns);
    return (n == "encrypted" &&
            (s == "eu.siacs.conversations.axolotl" || s == "urn:xmpp:omemo:2")) ||
           (n == "openpgp" && s == "urn:xmpp:openpgp:0") ||
           (n == "x" && s == "jabber:x:encrypted") || (n == "encryption" && s == "urn:xmpp:eme:0");
}

std::string sender_of(std::string_view from) {
    const std::size_t slash = from.find('/');
    return slash == std::string_view::npos ? std::string() : std::string(from.substr(slash + 1));
}

bool is_word_byte(unsigned char c) {
    // Bytes of multi-byte UTF-8 characters count as letters: "bobé" does not mention "bob".
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equal_ignoring_ascii_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

bool has_word(std::string_view text, std::string_view word) {
    if (word.empty() || word.size() > text.size()) return false;
    for (std::size_t at = 0; at + word.size() <= text.size(); ++at) {
        if (at > 0 && is_word_byte(static_cast<unsigned char>(text[at - 1]))) continue;
        const std::size_t end = at + word.size();
        if (end < text.size() && is_word_byte(static_cast<unsigned char>(text[end]))) continue;
        if (equal_ignoring_ascii_case(text.substr(at, word.size()), word)) return true;
    }
    return false;
}

bool is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

MessageGist read_gist(std::string_view raw, const xmpp::TreeLimits& limits) {
    MessageGist gist;
    if (auto from = xml::find_attribute(raw, "from"))
        gist.sender = sender_of(raw.substr(from->offset, from->length));
    std::optional<xmpp::StanzaTree> tree = xmpp::StanzaTree::parse(raw, limits);
    if (!tree) return gist;
    gist.sender = sender_of(xmpp::attribute(tree->root(), "from"));
    bool have_body = false;
    for (xmpp_stanza_t* c = xmpp_stanza_get_children(tree->root()); c != nullptr;
         c = xmpp_stanza_get_next(c)) {
        if (!xmpp_stanza_is_tag(c)) continue;
        const char* name = xmpp_stanza_get_name(c);
        const char* ns = xmpp_stanza_get_ns(c);
        if (name == nullptr) continue;
        if (!have_body && std::strcmp(name, "body") == 0 && in_stanza_namespace(ns)) {
            gist.text = xmpp::text_of(c);
            have_body = true;
        } else if (is_encryption(name, ns)) {
            gist.encrypted = true;
        } else if (std::strcmp(name, "reference") == 0 && ns != nullptr &&
                   std::strcmp(ns, "urn:xmpp:reference:0") == 0 &&
                   xmpp::attribute(c, "type") == "mention") {
            gist.mention_uris.push_back(xmpp::attribute(c, "uri"));
        }
    }
    if (gist.encrypted) gist.text.clear();
    return gist;
}

bool mentions(const MessageGist& gist, std::string_view room, std::string_view member,
              std::string_view nick) {
    for (const std::string& uri : gist.mention_uris) {
        std::string_view jid(uri);
        if (jid.substr(0, 5) != "xmpp:") continue;
        jid.remove_prefix(5);
        if (jid == member) return true;
        if (!nick.empty() && jid.size() == room.size() + 1 + nick.size() &&
            jid.substr(0, room.size()) == room && jid[room.size()] == '/' &&
            jid.substr(room.size() + 1) == nick) {
            return true;
        }
    }
    return has_word(gist.text, nick);
}

std::string excerpt(std::string_view text, std::uint32_t chars) {
    std::string out;
    std::uint32_t taken = 0;
    bool pending_space = false;
    std::size_t i = 0;
    while (i < text.size() && is_space(static_cast<unsigned char>(text[i]))) ++i;
    for (; i < text.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (is_space(c)) {
            pending_space = true;
            continue;
        }
        const bool starts_character = (c & 0xC0) != 0x80;
        if (starts_character) {
            if (taken + (pending_space ? 1 : 0) >= chars) return out + "…";
            if (pending_space) {
                out.push_back(' ');
                ++taken;
                pending_space = false;
            }
            ++taken;
        }
        out.push_back(static_cast<char>(c));
    }
    return out;
}

}  // namespace offline
