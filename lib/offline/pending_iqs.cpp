#include "offline/pending_iqs.hpp"

#include <algorithm>

namespace offline {

void PendingIqs::add(const std::string& room, const std::string& requester, const std::string& id,
                     PendingIq iq) {
    Key key{room, requester, id};
    if (!entries_.contains(key) && entries_.size() >= capacity_) evict_soonest();
    earliest_ = std::min(earliest_, iq.expires);
    entries_.insert_or_assign(std::move(key), std::move(iq));
}

std::optional<PendingIq> PendingIqs::take(std::string_view room, std::string_view requester,
                                          std::string_view id, xmpp::Moment now) {
    auto it = entries_.find(Key{std::string(room), std::string(requester), std::string(id)});
    if (it == entries_.end()) return std::nullopt;
    PendingIq iq = std::move(it->second);
    entries_.erase(it);
    if (iq.expires <= now) return std::nullopt;
    return iq;
}

void PendingIqs::purge(xmpp::Moment now) {
    if (now < earliest_) return;
    earliest_ = xmpp::Moment::max();
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (it->second.expires <= now) {
            it = entries_.erase(it);
        } else {
            earliest_ = std::min(earliest_, it->second.expires);
            ++it;
        }
    }
}

void PendingIqs::evict_soonest() {
    auto soonest = std::min_element(
        entries_.begin(), entries_.end(),
        [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; });
    if (soonest != entries_.end()) entries_.erase(soonest);
    // `earliest_` may now be earlier than any entry: purge only rescans, which is harmless.
}

}  // namespace offline
