#include "offline/pending_iqs.hpp"

namespace offline {

std::size_t PendingIqs::bytes_of(std::string_view room, std::string_view requester,
                                 std::string_view id, const PendingIq& iq) {
    // A string in a vector costs its own object besides its characters.
    constexpr std::size_t kStringObject = sizeof(std::string);
    std::size_t bytes = kEntryOverhead + room.size() + requester.size() + id.size();
    bytes += iq.choice.nick.size();
    for (const std::string& member : iq.members) bytes += kStringObject + member.size();
    for (const auto& [member, registration] : iq.taken) {
        bytes +=
            sizeof(std::pair<std::string, Registration>) + member.size() + registration.nick.size();
    }
    return bytes;
}

bool PendingIqs::add(const std::string& room, const std::string& requester, const std::string& id,
                     PendingIq iq) {
    auto existing = entries_.find(KeyViews(room, requester, id));
    if (existing != entries_.end()) erase(existing);

    const std::size_t bytes = bytes_of(room, requester, id, iq);
    if (deciding_bytes_ + bytes > max_bytes_) {
        if (!iq.decides()) ++evictions_;
        return false;
    }
    while (bytes_ + bytes > max_bytes_ && !evictable_.empty()) {
        erase(entries_.find(*evictable_.begin()->second));
        ++evictions_;
    }
    const xmpp::Moment expires = iq.expires;
    const bool decides = iq.decides();
    auto [entry, inserted] =
        entries_.emplace(Key{room, requester, id}, Entry{std::move(iq), bytes, {}, std::nullopt});
    entry->second.expiry = expiry_.emplace(expires, &entry->first);
    if (decides) {
        deciding_bytes_ += bytes;
    } else {
        entry->second.arrival = evictable_.emplace(arrivals_++, &entry->first).first;
    }
    bytes_ += bytes;
    return true;
}

const PendingIq* PendingIqs::find(std::string_view room, std::string_view requester,
                                  std::string_view id, xmpp::Moment now) const {
    auto entry = entries_.find(KeyViews(room, requester, id));
    if (entry == entries_.end() || entry->second.iq.expires <= now) return nullptr;
    return &entry->second.iq;
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
    Entry& held = entry->second;
    expiry_.erase(held.expiry);
    if (held.arrival) {
        evictable_.erase(*held.arrival);
    } else {
        deciding_bytes_ -= held.bytes;
    }
    bytes_ -= held.bytes;
    entries_.erase(entry);
}

}  // namespace offline
