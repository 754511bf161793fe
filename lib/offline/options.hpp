// How the offline-delivery feature behaves on one link (from the config).
#pragma once

#include <chrono>
#include <cstdint>

#include "xmpp/tree_shape.hpp"

namespace offline {

enum class RegistrationMode {
    augment,     // the MUC implements XEP-0045 §7.10; the proxy adds its field to the MUC's form
    standalone,  // the MUC has no room registration; the proxy answers register iqs itself
};

// What an absent member gets for a qualifying message.
enum class Delivery {
    groupchat,  // the MUC's message with `to` set to the member's bare JID (Tigase's protocol)
    notice,     // a short chat/normal message from the room's bare JID, which stock servers
                // store offline and push
    automatic,  // copies, until a copy to that member comes back as an error; notices since
};

enum class NoticeType { chat, normal };

struct NoticeOptions {
    NoticeType type = NoticeType::chat;
    // At most one notice per member per room in this interval (0: one per message); the next
    // one says how many messages it stands for.
    std::chrono::seconds min_interval{300};
    // Characters of the message's text a notice quotes (0: none, only sender, room, count).
    std::uint32_t excerpt_chars = 100;
    bool operator==(const NoticeOptions&) const = default;
};

struct Options {
    Delivery delivery = Delivery::groupchat;
    // Copies and notices only for messages that mention the member (XEP-0372 reference, or
    // the registered nick as a word of the body).
    bool only_mentions = false;
    NoticeOptions notice;
    RegistrationMode registration = RegistrationMode::augment;
    bool offline_default = false;  // value of the field for members who never chose
    bool strip_field = true;       // remove the field from submits before the MUC sees them
    std::uint32_t pause_after_bounces =
        0;  // consecutive bounces before pausing a member; 0 = never
    std::chrono::milliseconds pending_ttl{60000};  // how long a submit waits for the MUC's answer
    std::chrono::milliseconds bounce_ttl{
        60000};  // how long a sent copy can still be answered by a bounce
    // Copies remembered for their bounces at once; past it the oldest are forgotten first
    // (a sustained fan-out must not grow the proxy for a whole bounce_ttl).
    std::uint32_t max_tracked_copies = 500000;
    // Bytes (ids, JIDs, nicks and a per-entry estimate) of the requests waiting for the MUC's
    // answer, and of the join attempts waiting for the MUC's presence: both grow from whatever
    // the server side sends. A few MiB hold thousands of real ones.
    std::uint64_t max_pending_iq_bytes = 8u << 20;
    std::uint64_t max_pending_join_bytes = 8u << 20;
    // Stanzas the feature reads as a tree come from strangers: over these, it builds none (the
    // link's `limits.max_depth`, `max_attributes` and `max_children`).
    xmpp::TreeLimits tree_limits;
    bool operator==(const Options&) const = default;
};

}  // namespace offline
