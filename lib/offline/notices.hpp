// Notice delivery: what stock servers do with a groupchat message to a bare JID is bounce it
// (RFC 6121 §8.5.2.1.1), but a short chat message from the room's bare JID is stored offline
// and pushed everywhere. A notice names the room, the sender and (optionally) quotes the text;
// at most one per member and room per interval, the next one counting what it stands for.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "offline/message_gist.hpp"
#include "offline/options.hpp"

namespace offline {

inline constexpr std::string_view kNoticeIdPrefix = "muc-offline-proxy-notice-";

inline bool is_notice_id(std::string_view id) {
    return id.starts_with(kNoticeIdPrefix);
}

// "alice in lunch@conference.example.org: Are you there?", "3 new messages in …, last from
// alice: …", "alice mentioned you in …: …"; encrypted text is never quoted.
std::string notice_body(const MessageGist& gist, std::string_view room, std::uint32_t messages,
                        bool mention, std::uint32_t excerpt_chars);

// The notice stanza: from the room's bare JID (a message from room/nick would be a private
// message from a person), kept out of archives by a hint, since the room archives the message.
void append_notice(std::string& out, std::string_view room, std::string_view member,
                   std::string_view id, NoticeType type, std::string_view body);

// The defined condition of a stanza error (RFC 6120 §8.3.3), e.g. "service-unavailable"; empty
// when there is none or the stanza is over `limits`.
std::string stanza_error_condition(std::string_view raw, const xmpp::TreeLimits& limits);

// The conditions with which servers refuse a groupchat message to a bare JID (RFC 6121
// §8.5.2.1.1: Prosody and ejabberd say service-unavailable).
bool refuses_groupchat_to_bare(std::string_view condition);

// The interval between notices, per member and room. No timers: a held-back message only
// counts, and the first message after the interval sends the notice that says how many.
class NoticePacer {
  public:
    // How many messages a notice sent now stands for (this one included), or 0 when the
    // interval holds it back (counted for the next one).
    std::uint32_t on_message(std::string_view room, std::string_view member, std::int64_t now_ms,
                             std::int64_t interval_ms);
    // The member came back into the room (or left the feature): the next message notifies.
    void forget(std::string_view room, std::string_view member);
    std::size_t tracked() const { return paces_.size(); }

  private:
    struct Pace {
        std::int64_t last_sent_ms = 0;
        std::uint32_t held = 0;
    };
    static std::string key(std::string_view room, std::string_view member);
    std::unordered_map<std::string, Pace> paces_;
};

}  // namespace offline
