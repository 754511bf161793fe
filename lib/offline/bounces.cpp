#include "offline/bounces.hpp"

#include <algorithm>

namespace offline {

BounceTracker::Fanout* BounceTracker::by_sequence(std::uint64_t sequence) {
    if (sequence == kNone || sequence < first_sequence_) return nullptr;
    const std::uint64_t index = sequence - first_sequence_;
    return index < fanouts_.size() ? &fanouts_[index] : nullptr;
}

void BounceTracker::open_fanout(std::string_view id, xmpp::Moment now) {
    const std::uint64_t sequence = first_sequence_ + fanouts_.size();
    const std::uint64_t* newest = newest_with_id_.find(id);
    const std::uint64_t older = newest == nullptr ? kNone : *newest;
    // Messages tend to draw as many copies as the one before: room for as many saves growing
    // the buffers copy by copy (a few allocations per message fewer).
    std::size_t expected_copies = 0;
    std::size_t expected_bytes = 0;
    if (!fanouts_.empty()) {
        expected_copies = std::min<std::size_t>(fanouts_.back().members.size(), 65536);
        expected_bytes = std::min<std::size_t>(fanouts_.back().members.bytes(), 65536 * 32);
    }
    Fanout& fanout = fanouts_.emplace_back();
    fanout.members.reserve(expected_copies, expected_bytes);
    fanout.at = now;
    fanout.id.assign(id);
    fanout.older_with_same_id = older;
    // The key must view the id kept here (the old key viewed an older fan-out's id).
    newest_with_id_.put(std::string_view(fanout.id), sequence);
}

void BounceTracker::sent(std::string_view member, std::string_view id, xmpp::Moment now) {
    if (max_copies_ == 0) {
        ++forgotten_;
        return;
    }
    Fanout* newest = fanouts_.empty() ? nullptr : &fanouts_.back();
    const bool joins_newest = newest != nullptr && newest->at == now && newest->id == id &&
                              newest->members.keeps_ascending(member) &&
                              newest->members.has_room_for(member);
    while (tracked_ >= max_copies_) {
        if (joins_newest && fanouts_.size() == 1) {
            // A single fan-out over the limit: its later copies go out untracked (keeping the
            // newest instead would mean moving its members on every copy).
            ++forgotten_;
            return;
        }
        forgotten_ += fanouts_.front().unanswered;
        drop_oldest(nullptr);
    }
    if (!joins_newest) {
        open_fanout(id, now);
        newest = &fanouts_.back();
    }
    // Either it kept the newest fan-out ascending, or it is the first of a new one.
    newest->members.add_ascending(member);
    ++newest->unanswered;
    ++tracked_;
}

bool BounceTracker::take_bounce(std::string_view member, std::string_view id) {
    const std::uint64_t* newest = newest_with_id_.find(id);
    if (newest == nullptr) return false;
    for (Fanout* fanout = by_sequence(*newest); fanout != nullptr;
         fanout = by_sequence(fanout->older_with_same_id)) {
        if (fanout->unanswered == 0) continue;
        const std::size_t index = fanout->members.find(
            member, [fanout](std::size_t i) { return !fanout->members.marked(i); });
        if (index == PackedMembers::npos) continue;
        fanout->members.mark(index);
        --fanout->unanswered;
        return true;
    }
    return false;
}

void BounceTracker::drop_oldest(const std::function<void(std::string_view member)>* delivered) {
    Fanout& oldest = fanouts_.front();
    const std::uint64_t sequence = first_sequence_;
    // Still unanswered means no error came back for it: the member's server took it.
    if (delivered != nullptr && *delivered && oldest.unanswered > 0) {
        for (std::size_t i = 0; i < oldest.members.size(); ++i) {
            if (!oldest.members.marked(i)) (*delivered)(oldest.members.at(i));
        }
    }
    // Older fan-outs with this id are gone already, so the id is forgotten when this one was
    // its newest.
    const std::uint64_t* newest = newest_with_id_.find(std::string_view(oldest.id));
    if (newest != nullptr && *newest == sequence)
        newest_with_id_.erase(std::string_view(oldest.id));
    tracked_ -= oldest.members.size();
    fanouts_.pop_front();
    ++first_sequence_;
}

void BounceTracker::expire(xmpp::Moment now,
                           const std::function<void(std::string_view member)>& delivered) {
    while (!fanouts_.empty() && now - fanouts_.front().at > ttl_) drop_oldest(&delivered);
}

}  // namespace offline
