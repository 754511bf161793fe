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

std::uint32_t HeldOutput::add_barrier(Side fallback_to, std::string_view fallback) {
    ++outstanding_;
    if (fallback.empty()) return 0;
    barriers_.push_back(Barrier{false, stanza_barrier_});
    const auto barrier = static_cast<std::uint32_t>(barriers_.size());
    add(Held{fallback_to, {}, Unit::added, true, true, barrier, std::string(fallback)});
    stanza_barrier_ = barrier;
    return barrier;
}

void HeldOutput::hold(const Write& write) {
    add(Held{write.to,
             {},
             write.unit,
             write.after_persist,
             false,
             stanza_barrier_,
             std::string(write.bytes)});
}

void HeldOutput::add(Held held) {
    bytes_ += held.bytes.size();
    ++held_for_[index_of(held.to)];
    held_.push_back(std::move(held));
    Held& kept = held_.back();
    if (kept.unit != Unit::stream) {
        kept.recipient = recipient_of(kept.bytes);
        recipients_[index_of(kept.to)].insert(kept.recipient);
    }
}

bool HeldOutput::must_wait(const Write& write, std::optional<std::string_view> recipient) const {
    if (held_for_[index_of(write.to)] == 0) return false;
    if (write.unit == Unit::stream) return true;
    return recipients_[index_of(write.to)].contains(recipient ? *recipient
                                                              : recipient_of(write.bytes));
}

bool HeldOutput::settle(std::uint32_t ticket, bool durable) {
    if (!durable && ticket != 0) barriers_[ticket - 1].failed = true;
    return --outstanding_ == 0;
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
