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
    std::size_t tracked() const { return outstanding_.size(); }

  private:
    static std::string key_of(std::string_view member, std::string_view id);

    std::chrono::milliseconds ttl_;
    struct Sent {
        xmpp::Moment at;
        std::string key;
        std::string member;
    };
    std::deque<Sent> order_;
    std::unordered_map<std::string, int> outstanding_;  // key -> copies not yet answered
};

}  // namespace offline
