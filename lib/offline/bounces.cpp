#include "offline/bounces.hpp"

namespace offline {

const std::string& BounceTracker::key_of(std::string_view member, std::string_view id) {
    key_buffer_.assign(member);
    key_buffer_ += '\n';  // cannot occur in a JID
    key_buffer_ += id;
    return key_buffer_;
}

void BounceTracker::sent(const std::string& member, std::string_view id, xmpp::Moment now) {
    auto [it, inserted] = copies_.try_emplace(key_of(member, id));
    ++it->second.unanswered;
    ++it->second.in_order;
    order_.push_back(Sent{now, &it->first, member.size()});
}

bool BounceTracker::take_bounce(std::string_view member, std::string_view id) {
    auto it = copies_.find(std::string_view(key_of(member, id)));
    if (it == copies_.end() || it->second.unanswered == 0) return false;
    --it->second.unanswered;
    return true;
}

void BounceTracker::expire(xmpp::Moment now,
                           const std::function<void(const std::string& member)>& delivered) {
    while (!order_.empty() && now - order_.front().at > ttl_) {
        const Sent oldest = order_.front();
        order_.pop_front();
        auto it = copies_.find(std::string_view(*oldest.key));
        if (it == copies_.end()) continue;  // cannot happen: an entry outlives its copies
        // Still unanswered means no error came back for it: the member's server took it.
        const bool taken = it->second.unanswered > 0;
        if (taken) {
            --it->second.unanswered;
            member_buffer_.assign(*oldest.key, 0, oldest.member_size);
        }
        if (--it->second.in_order == 0) copies_.erase(it);
        if (taken && delivered) delivered(member_buffer_);
    }
}

}  // namespace offline
