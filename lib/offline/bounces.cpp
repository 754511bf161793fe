#include "offline/bounces.hpp"

namespace offline {

std::string BounceTracker::key_of(std::string_view member, std::string_view id) {
    std::string key(member);
    key += '\n';  // cannot occur in a JID
    key += id;
    return key;
}

void BounceTracker::sent(const std::string& member, std::string_view id, xmpp::Moment now) {
    std::string key = key_of(member, id);
    ++outstanding_[key];
    order_.push_back(Sent{now, std::move(key), member});
}

bool BounceTracker::take_bounce(std::string_view member, std::string_view id) {
    auto it = outstanding_.find(key_of(member, id));
    if (it == outstanding_.end()) return false;
    if (--it->second == 0) outstanding_.erase(it);
    return true;
}

void BounceTracker::expire(xmpp::Moment now,
                           const std::function<void(const std::string& member)>& delivered) {
    while (!order_.empty() && now - order_.front().at > ttl_) {
        Sent& oldest = order_.front();
        auto it = outstanding_.find(oldest.key);
        // Still outstanding means no error came back for it: the member's server took it.
        if (it != outstanding_.end()) {
            if (--it->second == 0) outstanding_.erase(it);
            if (delivered) delivered(oldest.member);
        }
        order_.pop_front();
    }
}

}  // namespace offline
