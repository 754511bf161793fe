#include "plain_words.hpp"

#include <algorithm>
#include <cstdio>

#include "muc_stanzas.hpp"

namespace rig {
namespace {

// "lobby@conference.localhost/alice" -> "lobby/alice"; the MUC service itself stays whole.
std::string short_jid(const std::string& jid, const std::string& muc_domain) {
    if (jid.empty()) return "server";
    const std::string suffix = "@" + muc_domain;
    auto at = jid.find(suffix);
    if (at == std::string::npos) return jid;
    return jid.substr(0, at) + jid.substr(at + suffix.size());
}

std::string nick_of(const std::string& jid) {
    auto slash = jid.find('/');
    return slash == std::string::npos ? jid : jid.substr(slash + 1);
}

bool is_occupant(const std::string& jid, const std::string& muc_domain) {
    return jid.find("@" + muc_domain + "/") != std::string::npos;
}

std::string quoted(const std::string& text) {
    return "\"" + text + "\"";
}

std::string sent_sentence(const StanzaRecord& s, const std::string& muc_domain) {
    std::string to = short_jid(s.to, muc_domain);
    if (s.name == "presence") {
        if (s.to.empty()) return "-> server: initial presence";
        if (s.type == "unavailable") return "-> " + to + ": leaves the room";
        return "-> " + to + ": enters the room as " + quoted(nick_of(s.to));
    }
    if (s.name == "message") {
        if (s.has_body) return "-> " + to + ": " + quoted(s.body);
        return "-> " + to + ": message without body";
    }
    if (s.payload_ns == muc::kMucOwnerNs) return "-> " + to + ": accepts the default configuration";
    if (s.payload_ns == muc::kDiscoInfoNs)
        return "-> " + to + ": what do you support? (disco#info)";
    return "-> " + to + ": iq " + s.type + " " + s.payload_ns;
}

std::string received_sentence(const StanzaRecord& s, const std::string& muc_domain) {
    std::string from = short_jid(s.from, muc_domain);
    if (s.name == "presence") {
        if (!is_occupant(s.from, muc_domain)) {
            return "<- " + from + ": presence (" + (s.type.empty() ? "available" : s.type) + ")";
        }
        std::string who = s.has_status(muc::kSelfPresence) ? "you" : quoted(nick_of(s.from));
        if (s.type == "unavailable") return "<- " + from + ": " + who + " left the room";
        std::string sentence =
            "<- " + from + ": " + who + " " + (who == "you" ? "are" : "is") + " in the room";
        if (s.has_status(muc::kRoomCreated)) sentence += " (new room, you own it)";
        return sentence;
    }
    if (s.name == "message") {
        std::string text = s.has_body ? quoted(s.body) : std::string("message without body");
        if (s.has_subject) text = "subject " + quoted(s.subject);
        if (!is_occupant(s.from, muc_domain) && s.from.find('@') != std::string::npos) {
            return "<- " + from + ": room notice " + text;
        }
        return "<- " + from + ": " + text + (s.has_delay ? " (from history)" : "");
    }
    if (s.payload_ns == "urn:ietf:params:xml:ns:xmpp-bind") return "<- server: resource bound";
    std::string sentence = "<- " + from + ": iq " + s.type;
    if (!s.error_condition.empty()) sentence += " (" + s.error_condition + ")";
    return sentence;
}

}  // namespace

std::string in_plain_words(const StanzaRecord& stanza, const std::string& muc_domain) {
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "[%5.2fs] ", stanza.t);
    const std::string sentence = stanza.direction == Direction::sent
                                     ? sent_sentence(stanza, muc_domain)
                                     : received_sentence(stanza, muc_domain);
    return stamp + stanza.client + " " + sentence;
}

std::vector<std::string> plain_transcript(const std::vector<Client*>& clients,
                                          const std::string& muc_domain) {
    std::vector<const StanzaRecord*> all;
    for (const Client* client : clients) {
        for (const auto& stanza : client->sent()) all.push_back(&stanza);
        for (const auto& stanza : client->received()) all.push_back(&stanza);
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const StanzaRecord* a, const StanzaRecord* b) { return a->t < b->t; });
    std::vector<std::string> lines;
    for (const StanzaRecord* stanza : all) lines.push_back(in_plain_words(*stanza, muc_domain));
    return lines;
}

}  // namespace rig
