#include "offline/bounces.hpp"

#include <algorithm>
#include <limits>

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

void BounceTracker::Fanout::add_all(const PackedMembers& all) {
    PackedMembers& list = *members;
    const std::size_t common = all.common_prefix(list);
    if (common == all.size()) {
        // The same members as a fan-out before it (or the first of them): nothing to keep.
    } else if (common == list.size()) {
        // Its members go on where the list ends: add() would append them one by one.
        for (std::size_t i = common; i < all.size(); ++i) list.add_ascending(all.at(i));
    } else {
        members = std::make_shared<PackedMembers>(all);  // they part: a list of its own
    }
    count = static_cast<std::uint32_t>(all.size());
}

void BounceTracker::open_fanout(std::string_view id, xmpp::Moment now, std::string_view beside_id) {
    const std::uint64_t sequence = first_sequence_ + fanouts_.size();
    if (fanouts_.empty()) oldest_at_ = now;
    Fanout& fanout = fanouts_.emplace_back();
    fanout.at = now;
    fanout.id = ids_.push(id, beside_id);
    fanout.id_length = static_cast<std::uint32_t>(id.size());
    fanout.member_beside_id_length = static_cast<std::uint32_t>(beside_id.size());
    newest_ = &fanout;
    newest_id_ = id_of(fanout);
    fanout.older_with_same_id = newest_with_id_.exchange(newest_id_, sequence);
}

void BounceTracker::open_fanout_with_list(std::string_view id, xmpp::Moment now) {
    // The newest fan-out's list, to follow while the members are the same.
    std::shared_ptr<PackedMembers> list = newest_ != nullptr && newest_->members
                                              ? newest_->members
                                              : std::make_shared<PackedMembers>();
    open_fanout(id, now);
    newest_->members = std::move(list);
}

bool BounceTracker::add_member(Fanout& fanout, std::string_view member) {
    if (!fanout.members) {
        auto list = std::make_shared<PackedMembers>();
        list->add_ascending(member_beside_id(fanout));
        fanout.members = std::move(list);
    }
    return fanout.add(member);
}

void BounceTracker::sent(std::string_view member, std::string_view id, xmpp::Moment now) {
    // (An id past 4 GiB cannot come in a stanza within any stanza limit the config takes.)
    if (max_copies_ == 0 || id.size() > std::numeric_limits<std::uint32_t>::max()) {
        ++forgotten_;
        return;
    }
    while (tracked_ >= max_copies_) {
        const bool newest_only = fanouts_.size() == 1 && newest_->at == now && newest_id_ == id;
        if (newest_only) {
            // A single fan-out over the limit: its later copies go out untracked (keeping the
            // newest instead would mean moving its members on every copy).
            ++forgotten_;
            return;
        }
        forgotten_ += fanouts_.front().unanswered;
        drop_oldest(nullptr);
    }
    Fanout* newest = newest_;
    const bool same_fanout = newest != nullptr && newest->at == now && newest_id_ == id;
    if (!same_fanout || !add_member(*newest, member)) {
        open_fanout_with_list(id, now);
        newest = newest_;
        // A new fan-out takes any first member that fits in a list at all (4 GiB of members).
        if (!newest->add(member)) {
            ++forgotten_;
            return;
        }
    }
    ++newest->unanswered;
    ++tracked_;
}

void BounceTracker::sent_all(const PackedMembers& members, std::string_view id, xmpp::Moment now) {
    const bool joins_newest = newest_ != nullptr && newest_->at == now && newest_id_ == id;
    // Where sent() would do something else than open one fan-out for all of them (no limit to
    // track under, an id past 4 GiB, the newest fan-out to go on with), or the members are not
    // in order, it is asked copy by copy.
    if (members.empty() || !members.ascending() || max_copies_ == 0 ||
        id.size() > std::numeric_limits<std::uint32_t>::max() || joins_newest) {
        for (std::size_t i = 0; i < members.size(); ++i) sent(members.at(i), id, now);
        return;
    }
    // As sent() would, copy by copy: the oldest fan-outs go until these fit, and the members
    // past the limit go out untracked when none is left.
    while (!fanouts_.empty() && tracked_ + members.size() > max_copies_) {
        forgotten_ += fanouts_.front().unanswered;
        drop_oldest(nullptr);
    }
    const std::size_t kept = std::min(members.size(), max_copies_ - tracked_);
    PackedMembers first;
    const PackedMembers* tracked = &members;
    if (kept < members.size()) {
        first.assign_prefix(members, kept);
        tracked = &first;
        forgotten_ += members.size() - kept;
    }
    const PackedMembers* previous = newest_ != nullptr ? newest_->members.get() : nullptr;
    const bool shares_first = previous && !previous->empty() && previous->at(0) == tracked->at(0);
    if (tracked->size() == 1 && !shares_first) {
        open_fanout(id, now, tracked->at(0));
        newest_->count = 1;
    } else {
        open_fanout_with_list(id, now);
        newest_->add_all(*tracked);
    }
    newest_->unanswered = newest_->count;
    tracked_ += newest_->count;
}

bool BounceTracker::take_bounce(std::string_view member, std::string_view id) {
    for (Fanout* fanout = by_sequence(newest_with_id_.find(id)); fanout != nullptr;
         fanout = by_sequence(fanout->older_with_same_id)) {
        if (fanout->unanswered == 0) continue;
        const auto open = [fanout](std::size_t i) {
            return i < fanout->count && !fanout->was_answered(i);
        };
        std::size_t index = PackedMembers::npos;
        if (fanout->members) {
            index = fanout->members->find(member, open);
        } else if (member_beside_id(*fanout) == member && open(0)) {
            index = 0;
        }
        if (index == PackedMembers::npos) continue;
        if (!fanout->answered) fanout->answered = std::make_unique<std::vector<bool>>();
        if (index >= fanout->answered->size()) fanout->answered->resize(fanout->count);
        (*fanout->answered)[index] = true;
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
            if (!oldest.was_answered(i)) (*delivered)(member_of(oldest, i));
        }
    }
    // Older fan-outs with this id are gone already, so the id is forgotten when this one was
    // its newest.
    newest_with_id_.erase_unless(id_of(oldest),
                                 [sequence](std::uint64_t newest) { return newest != sequence; });
    tracked_ -= oldest.count;
    fanouts_.pop_front();
    ++first_sequence_;
    if (fanouts_.empty()) {
        ids_.clear();
        newest_ = nullptr;
        newest_id_ = {};
    } else {
        ids_.release_before(fanouts_.front().id);
        oldest_at_ = fanouts_.front().at;
    }
}

void BounceTracker::expire(xmpp::Moment now,
                           const std::function<void(std::string_view member)>& delivered) {
    while (!fanouts_.empty() && now - oldest_at_ > ttl_) drop_oldest(&delivered);
}

}  // namespace offline
