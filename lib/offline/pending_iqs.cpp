#include "offline/pending_iqs.hpp"

namespace offline {

void PendingIqs::add(const std::string& room, const std::string& requester, const std::string& id,
                     PendingIq iq) {
    auto existing = entries_.find(KeyViews(room, requester, id));
    if (existing != entries_.end()) {
        erase(existing);
    } else if (entries_.size() >= capacity_ && !expiry_.empty()) {
        erase(entries_.find(*expiry_.begin()->second));  // the one closest to expiry
    }
    if (capacity_ == 0) return;
    const xmpp::Moment expires = iq.expires;
    auto [entry, inserted] = entries_.emplace(Key{room, requester, id}, Entry{std::move(iq), {}});
    entry->second.expiry = expiry_.emplace(expires, &entry->first);
}

std::optional<PendingIq> PendingIqs::take(std::string_view room, std::string_view requester,
                                          std::string_view id, xmpp::Moment now) {
    auto entry = entries_.find(KeyViews(room, requester, id));
    if (entry == entries_.end()) return std::nullopt;
    PendingIq iq = std::move(entry->second.iq);
    erase(entry);
    if (iq.expires <= now) return std::nullopt;
    return iq;
}

void PendingIqs::purge(xmpp::Moment now) {
    while (!expiry_.empty() && expiry_.begin()->first <= now) {
        erase(entries_.find(*expiry_.begin()->second));
    }
}

void PendingIqs::erase(Entries::iterator entry) {
    expiry_.erase(entry->second.expiry);
    entries_.erase(entry);
}

}  // namespace offline
