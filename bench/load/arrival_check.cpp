#include "arrival_check.hpp"

#include <algorithm>
#include <cstring>

namespace bench {
namespace {

std::string shown(std::string_view bytes) {
    return std::string(bytes.substr(0, 160)) + (bytes.size() > 160 ? "..." : "");
}

}  // namespace

ArrivalCheck::ArrivalCheck(const Script& script, std::uint64_t count, bool expect_copies,
                           const std::vector<std::uint64_t>* sent_at)
    : script_(script), count_(count), expect_copies_(expect_copies), sent_at_(sent_at) {
    if (sent_at_ != nullptr) latencies_ns_.reserve(count);
}

bool ArrivalCheck::fail(std::string why, std::string_view near) {
    if (error_.empty()) error_ = std::move(why) + "; received: " + shown(near);
    return false;
}

bool ArrivalCheck::consume(std::string_view& bytes, std::uint64_t now_ns) {
    while (!bytes.empty()) {
        Step step = Step::failed;
        if (next_ < count_) step = take_expected(bytes, now_ns);
        if (step == Step::failed && copies_due_ > 0) step = take_copy(bytes);
        if (step == Step::failed && !late_.empty()) step = take_late(bytes, now_ns);
        if (step == Step::failed && error_.empty() && defer_expected()) continue;
        if (step == Step::need_more) return true;
        if (step == Step::failed) {
            if (!error_.empty()) return false;
            if (next_ == count_) return fail("bytes after the last stanza", bytes);
            std::string why = "stanza " + std::to_string(next_) + " of " + std::to_string(count_) +
                              " differs from what was sent";
            if (copies_due_ > 0)
                why +=
                    " (and is not one of the " + std::to_string(copies_due_) + " copies still due)";
            return fail(why + "; expected: " + shown(expected_), bytes);
        }
        last_arrival_ns_ = now_ns;
    }
    return true;
}

void ArrivalCheck::enter_stanza(std::uint64_t seq) {
    const std::int64_t broadcast = expect_copies_ ? script_.broadcast_of(seq) : -1;
    if (broadcast == broadcast_) return;
    broadcast_ = broadcast;
    targets_ = broadcast < 0 ? nullptr : script_.copies_of(seq);
    copies_due_ = targets_ == nullptr ? 0 : targets_->members.size();
    if (copies_due_ == 0) return;
    if (copied_in_.size() < targets_->members.size())
        copied_in_.assign(targets_->members.size(), UINT64_MAX);
    // The proxy copies the message as the MUC sent it to its first recipient.
    const std::string_view to_marker = " to='";
    const std::size_t to = expected_.find(to_marker) + to_marker.size();
    const std::size_t end = expected_.find('\'', to);
    copy_before_ = expected_.substr(0, to);
    copy_after_ = expected_.substr(end);
}

ArrivalCheck::Step ArrivalCheck::take_expected(std::string_view& bytes, std::uint64_t now_ns) {
    if (!expected_ready_) {
        expected_.clear();
        script_.append(next_, expected_);
        expected_ready_ = true;
    }
    const std::size_t n = std::min(bytes.size(), expected_.size());
    if (std::memcmp(bytes.data(), expected_.data(), n) != 0) return Step::failed;
    if (n < expected_.size()) return Step::need_more;
    if (copies_due_ > 0 && script_.broadcast_of(next_) != broadcast_) {
        fail("message " + std::to_string(broadcast_) + " is missing " +
                 std::to_string(copies_due_) + " of its copies when stanza " +
                 std::to_string(next_) + " arrives",
             bytes);
        return Step::failed;
    }
    enter_stanza(next_);
    note_latency(next_, now_ns);
    stanza_bytes_ += expected_.size();
    bytes.remove_prefix(expected_.size());
    ++next_;
    expected_ready_ = false;
    return Step::consumed;
}

void ArrivalCheck::note_latency(std::uint64_t seq, std::uint64_t now_ns) {
    if (sent_at_ == nullptr) return;
    (script_.may_arrive_late(seq) ? waited_latencies_ns_ : latencies_ns_)
        .push_back(static_cast<std::uint32_t>(
            std::min<std::uint64_t>(now_ns - (*sent_at_)[seq], UINT32_MAX)));
}

bool ArrivalCheck::defer_expected() {
    if (next_ >= count_ || !script_.may_arrive_late(next_)) return false;
    if (!expected_ready_) {
        expected_.clear();
        script_.append(next_, expected_);
    }
    late_.push_back(Late{next_, expected_});
    ++next_;
    expected_ready_ = false;
    return true;
}

ArrivalCheck::Step ArrivalCheck::take_late(std::string_view& bytes, std::uint64_t now_ns) {
    bool partial = false;
    for (auto late = late_.begin(); late != late_.end(); ++late) {
        const std::size_t n = std::min(bytes.size(), late->bytes.size());
        if (std::memcmp(bytes.data(), late->bytes.data(), n) != 0) continue;
        if (n < late->bytes.size()) {
            partial = true;
            continue;
        }
        note_latency(late->seq, now_ns);
        stanza_bytes_ += late->bytes.size();
        bytes.remove_prefix(late->bytes.size());
        late_.erase(late);
        return Step::consumed;
    }
    return partial ? Step::need_more : Step::failed;
}

ArrivalCheck::Step ArrivalCheck::take_copy(std::string_view& bytes) {
    const std::size_t head = std::min(bytes.size(), copy_before_.size());
    if (std::memcmp(bytes.data(), copy_before_.data(), head) != 0) return Step::failed;
    if (head < copy_before_.size()) return Step::need_more;
    const std::size_t quote = bytes.find('\'', copy_before_.size());
    if (quote == std::string_view::npos) return Step::need_more;
    const std::string_view member = bytes.substr(head, quote - head);
    const std::string_view rest = bytes.substr(quote);
    const std::size_t tail = std::min(rest.size(), copy_after_.size());
    if (std::memcmp(rest.data(), copy_after_.data(), tail) != 0) {
        fail("a copy of message " + std::to_string(broadcast_) +
                 " differs from the MUC's message in more than `to`",
             bytes);
        return Step::failed;
    }
    if (tail < copy_after_.size()) return Step::need_more;
    auto found = targets_->index.find(member);
    if (found == targets_->index.end()) {
        fail("a copy of message " + std::to_string(broadcast_) + " to " + std::string(member) +
                 ", who is not an absent opted-in member",
             bytes);
        return Step::failed;
    }
    std::uint64_t& copied = copied_in_[found->second];
    if (copied == static_cast<std::uint64_t>(broadcast_)) {
        fail(
            "a second copy of message " + std::to_string(broadcast_) + " to " + std::string(member),
            bytes);
        return Step::failed;
    }
    copied = static_cast<std::uint64_t>(broadcast_);
    --copies_due_;
    ++copies_;
    const std::size_t size = quote + copy_after_.size();
    copy_bytes_ += size;
    bytes.remove_prefix(size);
    return Step::consumed;
}

}  // namespace bench
