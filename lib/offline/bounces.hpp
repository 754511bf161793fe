// Copies sent to bare JIDs that a stock server answers with an error (RFC 6121 §8.5.2.1.1:
// Prosody and ejabberd bounce a groupchat to a bare JID with service-unavailable). Such an
// error answers the proxy's copy, not anything the MUC sent, so it must never reach the MUC.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "offline/string_keys.hpp"
#include "xmpp/stanza_filter.hpp"

namespace offline {

class BounceTracker {
  public:
    explicit BounceTracker(std::chrono::milliseconds ttl) : ttl_(ttl) {}
    // Copies already tracked expire by the new TTL too.
    void set_ttl(std::chrono::milliseconds ttl) { ttl_ = ttl; }

    void sent(const std::string& member, std::string_view id, xmpp::Moment now);
    // True (and forgotten) when an error from `member` about `id` answers a copy still tracked.
    // Call expire() first so that copies past the TTL no longer count.
    bool take_bounce(std::string_view member, std::string_view id);
    // Forgets copies older than the TTL; `delivered(member)` for each that drew no error.
    void expire(xmpp::Moment now, const std::function<void(const std::string& member)>& delivered);

  private:
    // "member\nid" in a buffer reused from call to call.
    const std::string& key_of(std::string_view member, std::string_view id);

    std::chrono::milliseconds ttl_;
    struct Copies {
        int unanswered = 0;  // sent, neither bounced nor expired
        int in_order = 0;    // entries of order_ that point here
    };
    // One entry per copy, oldest first. The key lives in copies_ (its address is stable until
    // the entry is erased, which waits for the last copy pointing there): one allocation per
    // copy fewer than keeping a key here too.
    struct Sent {
        xmpp::Moment at;
        const std::string* key;
        std::size_t member_size;  // the key's first bytes are the member
    };
    std::deque<Sent> order_;
    StringKeyMap<Copies> copies_;
    std::string key_buffer_;
    std::string member_buffer_;
};

}  // namespace offline
