#include "offline/bounces.hpp"

#include <algorithm>

namespace offline {

BounceTracker::Fanout* BounceTracker::by_sequence(std::uint64_t sequence) {
    if (sequence == kNone || sequence < first_sequence_) return nullptr;
    const std::uint64_t index = sequence - first_sequence_;
    return index < fanouts_.size() ? &fanouts_[index] : nullptr;
}

bool BounceTracker::Fanout::add(std::string_view member) {
    PackedMembers& list = *members;
    if (count < list.size()) {
        // Following a list shared with an earlier fan-out: the same member costs nothing.
        if (list.at(count) == member) {
            ++count;
            return true;
        }
        if (count > 0 && member < list.at(count - 1)) return false;  // not ascending
        // The members part here: a list of its own, the shared prefix copied once.
        auto own = std::make_shared<PackedMembers>();
        own->reserve(list.size(), list.bytes());
        own->assign_prefix(list, count);
        members = std::move(own);
    }
    // At the end of the list (its own, or one whose other users stop short of it): append.
    if (!members->keeps_ascending(member) || !members->has_room_for(member)) return false;
    members->add_ascending(member);
    ++count;
    return true;
}

void BounceTracker::open_fanout(std::string_view id, xmpp::Moment now) {
    const std::uint64_t sequence = first_sequence_ + fanouts_.size();
    // The newest fan-out's list, to follow while the members are the same.
    std::shared_ptr<PackedMembers> list =
        fanouts_.empty() ? std::make_shared<PackedMembers>() : fanouts_.back().members;
    Fanout& fanout = fanouts_.emplace_back();
    fanout.members = std::move(list);
    fanout.at = now;
    fanout.id.assign(id);
    fanout.older_with_same_id = newest_with_id_.exchange(fanout.id, sequence);
}

void BounceTracker::sent(std::string_view member, std::string_view id, xmpp::Moment now) {
    if (max_copies_ == 0) {
        ++forgotten_;
        return;
    }
    while (tracked_ >= max_copies_) {
        const bool newest_only =
            fanouts_.size() == 1 && fanouts_.back().at == now && fanouts_.back().id == id;
        if (newest_only) {
            // A single fan-out over the limit: its later copies go out untracked (keeping the
            // newest instead would mean moving its members on every copy).
            ++forgotten_;
            return;
        }
        forgotten_ += fanouts_.front().unanswered;
        drop_oldest(nullptr);
    }
    Fanout* newest = fanouts_.empty() ? nullptr : &fanouts_.back();
    const bool same_fanout = newest != nullptr && newest->at == now && newest->id == id;
    if (!same_fanout || !newest->add(member)) {
        open_fanout(id, now);
        newest = &fanouts_.back();
        // A new fan-out takes any first member that fits in a list at all (4 GiB of members).
        if (!newest->add(member)) {
            ++forgotten_;
            return;
        }
    }
    ++newest->unanswered;
    ++tracked_;
}

bool BounceTracker::take_bounce(std::string_view member, std::string_view id) {
    const std::uint64_t* newest = newest_with_id_.find(id);
    if (newest == nullptr) return false;
    for (Fanout* fanout = by_sequence(*newest); fanout != nullptr;
         fanout = by_sequence(fanout->older_with_same_id)) {
        if (fanout->unanswered == 0) continue;
        const std::size_t index = fanout->members->find(member, [fanout](std::size_t i) {
            return i < fanout->count && !fanout->was_answered(i);
        });
        if (index == PackedMembers::npos) continue;
        if (index >= fanout->answered.size()) fanout->answered.resize(fanout->count);
        fanout->answered[index] = true;
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
        for (std::size_t i = 0; i < oldest.count; ++i) {
            if (!oldest.was_answered(i)) (*delivered)(oldest.members->at(i));
        }
    }
    // Older fan-outs with this id are gone already, so the id is forgotten when this one was
    // its newest.
    newest_with_id_.erase_unless(oldest.id,
                                 [sequence](std::uint64_t newest) { return newest != sequence; });
    tracked_ -= oldest.count;
    fanouts_.pop_front();
    ++first_sequence_;
}

void BounceTracker::expire(xmpp::Moment now,
                           const std::function<void(std::string_view member)>& delivered) {
    while (!fanouts_.empty() && now - fanouts_.front().at > ttl_) drop_oldest(&delivered);
}

}  // namespace offline
