#include "session/held_output.hpp"

#include "xml/start_tag.hpp"

namespace session {

namespace {

std::size_t index_of(Side side) {
    return side == Side::component ? 0 : 1;
}

std::string_view recipient_of(std::string_view stanza) {
    const std::optional<xml::ValueSpan> to = xml::find_attribute(stanza, "to");
    return to ? stanza.substr(to->offset, to->length) : std::string_view();
}

}  // namespace

std::uint64_t HeldOutput::add_barrier(Side fallback_to, std::string_view fallback) {
    ++outstanding_;
    const std::uint64_t number = barriers_added_++;
    if (fallback.empty()) return number + 1;
    barriers_.push_back(Barrier{false, stanza_barrier_});
    const auto barrier = static_cast<std::uint32_t>(barriers_.size());
    fallback_of_.emplace(number, barrier - 1);
    add(Held{
        fallback_to, Unit::added, true, true, {}, barrier, barriers_added_, std::string(fallback)});
    stanza_barrier_ = barrier;
    return number + 1;
}

void HeldOutput::hold(const Write& write) {
    add(Held{write.to,
             write.unit,
             write.after_persist,
             false,
             {},
             stanza_barrier_,
             barriers_added_,
             std::string(write.bytes)});
}

void HeldOutput::add(Held held) {
    bytes_ += held.bytes.size() + kEntryOverhead;
    ++held_for_[index_of(held.to)];
    held_.push_back(std::move(held));
    Held& kept = held_.back();
    if (kept.unit == Unit::stream) return;
    kept.recipient = recipient_of(kept.bytes);
    RecipientCounts& counts = recipients_[index_of(kept.to)];
    if (auto known = counts.find(kept.recipient); known != counts.end())
        ++known->second;
    else
        counts.emplace(kept.recipient, 1);
}

void HeldOutput::forget_front() {
    const Held& held = held_.front();
    bytes_ -= held.bytes.size() + kEntryOverhead;
    --held_for_[index_of(held.to)];
    if (held.unit != Unit::stream) {
        RecipientCounts& counts = recipients_[index_of(held.to)];
        auto known = counts.find(held.recipient);
        if (known != counts.end() && --known->second == 0) counts.erase(known);
    }
    held_.pop_front();
}

bool HeldOutput::must_wait(const Write& write, std::optional<std::string_view> recipient) const {
    if (held_for_[index_of(write.to)] == 0) return false;
    if (write.unit == Unit::stream) return true;
    return recipients_[index_of(write.to)].contains(recipient ? *recipient
                                                              : recipient_of(write.bytes));
}

void HeldOutput::settle(std::uint64_t ticket, bool durable) {
    const std::uint64_t number = ticket - 1;
    // A settled barrier's outcome lives on in barriers_ (what depends on it reads it there).
    if (auto f = fallback_of_.find(number); f != fallback_of_.end()) {
        if (!durable) barriers_[f->second].failed = true;
        fallback_of_.erase(f);
    }
    --outstanding_;
    if (number != settled_prefix_) {
        settled_out_of_order_.insert(number);
        return;
    }
    ++settled_prefix_;
    for (auto next = settled_out_of_order_.begin();
         next != settled_out_of_order_.end() && *next == settled_prefix_;
         next = settled_out_of_order_.erase(next))
        ++settled_prefix_;
}

void HeldOutput::reset() {
    barriers_.clear();
    fallback_of_.clear();
    barriers_added_ = 0;
    settled_prefix_ = 0;
    settled_out_of_order_.clear();
    stanza_barrier_ = 0;
}

bool HeldOutput::failed(std::uint32_t barrier) const {
    for (; barrier != 0; barrier = barriers_[barrier - 1].after) {
        if (barriers_[barrier - 1].failed) return true;
    }
    return false;
}

bool HeldOutput::goes_out(const Held& held) const {
    if (!held.fallback) return !failed(held.barrier);
    const Barrier& own = barriers_[held.barrier - 1];
    return own.failed && !failed(own.after);
}

}  // namespace session
