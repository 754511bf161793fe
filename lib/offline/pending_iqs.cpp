#include "offline/pending_iqs.hpp"

#include <utility>

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

std::string_view PendingIqs::form_key(std::string_view room, std::string_view requester,
                                      std::string_view id) const {
    // XML cannot carry a NUL, not even as a reference: it ends room and requester, whatever
    // they and the id hold.
    scratch_.assign(room);
    scratch_ += '\0';
    scratch_ += requester;
    scratch_ += '\0';
    scratch_ += id;
    return scratch_;
}

std::uint64_t PendingIqs::find_form(std::string_view key) const {
    if (forms_->live == 0) return SequenceIndex<KeyOfForm>::kNone;
    return form_index_.find(key);
}

void PendingIqs::forget_form(std::uint64_t arrival) {
    FormRequest& form = forms_->at(arrival);
    form_index_.erase_unless(form.key, [&](std::uint64_t kept) { return kept != arrival; });
    std::string().swap(form.key);
    --forms_->live;
    // Its slot stays until those before it go, and is accounted until then: requests answered
    // behind one the MUC never answers must not grow the queue past the budget (the oldest
    // is evicted for room, and the answered slots behind it go with it).
    bytes_ -= form.bytes - kAnsweredSlotBytes;
    while (!forms_->waiting.empty() && forms_->waiting.front().key.empty()) {
        forms_->waiting.pop_front();
        ++forms_->first;
        bytes_ -= kAnsweredSlotBytes;
    }
}

void PendingIqs::evict_oldest_form() {
    // The front is live: answered ones are dropped from the front as they go.
    forget_form(forms_->first);
    ++evictions_;
}

bool PendingIqs::add(const std::string& room, const std::string& requester, const std::string& id,
                     PendingIq iq) {
    auto existing = entries_.find(KeyViews(room, requester, id));
    if (existing != entries_.end()) erase(existing);
    // In scratch_, which nothing below writes: built once for the lookup and the queue.
    const std::string_view key = form_key(room, requester, id);
    if (const std::uint64_t again = find_form(key); again != SequenceIndex<KeyOfForm>::kNone)
        forget_form(again);

    const std::size_t bytes = bytes_of(room, requester, id, iq);
    if (deciding_bytes_ + bytes > max_bytes_) {
        if (!iq.decides()) ++evictions_;
        return false;
    }
    while (bytes_ + bytes > max_bytes_ && forms_->live > 0) evict_oldest_form();
    bytes_ += bytes;
    if (!iq.decides()) {
        const std::uint64_t arrival = forms_->first + forms_->waiting.size();
        forms_->waiting.push_back(FormRequest{std::string(key), std::move(iq), bytes});
        form_index_.exchange(forms_->waiting.back().key, arrival);
        ++forms_->live;
        return true;
    }
    const xmpp::Moment expires = iq.expires;
    auto [entry, inserted] =
        entries_.emplace(Key{room, requester, id}, Entry{std::move(iq), bytes, {}});
    entry->second.expiry = expiry_.emplace(expires, &entry->first);
    deciding_bytes_ += bytes;
    return true;
}

const PendingIq* PendingIqs::find(std::string_view room, std::string_view requester,
                                  std::string_view id, xmpp::Moment now) const {
    const PendingIq* iq = nullptr;
    if (auto entry = entries_.find(KeyViews(room, requester, id)); entry != entries_.end()) {
        iq = &entry->second.iq;
    } else if (const std::uint64_t arrival = find_form(form_key(room, requester, id));
               arrival != SequenceIndex<KeyOfForm>::kNone) {
        iq = &std::as_const(*forms_).at(arrival).iq;
    }
    return iq == nullptr || iq->expires <= now ? nullptr : iq;
}

std::optional<PendingIq> PendingIqs::take(std::string_view room, std::string_view requester,
                                          std::string_view id, xmpp::Moment now) {
    std::optional<PendingIq> iq;
    if (auto entry = entries_.find(KeyViews(room, requester, id)); entry != entries_.end()) {
        iq = std::move(entry->second.iq);
        erase(entry);
    } else if (const std::uint64_t arrival = find_form(form_key(room, requester, id));
               arrival != SequenceIndex<KeyOfForm>::kNone) {
        iq = std::move(forms_->at(arrival).iq);
        forget_form(arrival);
    }
    if (!iq || iq->expires <= now) return std::nullopt;
    return iq;
}

void PendingIqs::purge(xmpp::Moment now) {
    while (!expiry_.empty() && expiry_.begin()->first <= now) {
        erase(entries_.find(*expiry_.begin()->second));
    }
    // Arrival order is expiry order while pending_ttl stays; a TTL lowered on reload lets a
    // newer request expire first, and it goes when those before it do (find and take never
    // return one that expired).
    while (forms_->live > 0 && forms_->waiting.front().iq.expires <= now)
        forget_form(forms_->first);
}

void PendingIqs::erase(Entries::iterator entry) {
    Entry& held = entry->second;
    expiry_.erase(held.expiry);
    deciding_bytes_ -= held.bytes;
    bytes_ -= held.bytes;
    entries_.erase(entry);
}

}  // namespace offline
