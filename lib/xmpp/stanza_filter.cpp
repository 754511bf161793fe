#include "xmpp/stanza_filter.hpp"

#include <atomic>

namespace xmpp {

std::string_view direction_name(Direction direction) {
    return direction == Direction::to_server ? "component->server" : "server->component";
}

void Decisions::record(std::shared_ptr<const StateRecord> change) {
    next_slot(Decision::Kind::record, Direction::to_server).record = std::move(change);
    records_ = true;
}

void Decisions::release_records() {
    for (std::size_t index = 0; index < count_; ++index) items_[index].record.reset();
    records_ = false;
}

void Decisions::add(Decision::Kind kind, Direction direction, std::string bytes) {
    next_slot(kind, direction).bytes = std::move(bytes);
}

void Decisions::if_not_durable(Direction direction, std::string fallback) {
    for (std::size_t index = count_; index-- > 0;) {
        Decision& decision = items_[index];
        if (decision.kind != Decision::Kind::persist) continue;
        decision.direction = direction;
        decision.bytes = std::move(fallback);
        return;
    }
}

Decisions::CopySource Decisions::keep_copy_source(std::string_view stanza, std::size_t to_offset,
                                                  std::size_t to_length) {
    static std::atomic<std::uint64_t> last_epoch{0};
    if (epoch_ == 0) epoch_ = last_epoch.fetch_add(1, std::memory_order_relaxed) + 1;
    if (copy_source_count_ == copy_sources_.size()) copy_sources_.emplace_back();
    KeptStanza& kept = copy_sources_[copy_source_count_];
    kept.bytes.assign(stanza);
    kept.to_offset = to_offset;
    kept.to_length = to_length;
    return CopySource{epoch_, static_cast<std::uint32_t>(copy_source_count_++)};
}

void Decisions::inject_copy(Direction direction, const CopySource& source,
                            std::string_view member) {
    Decision& slot = next_slot(Decision::Kind::inject_copy, direction);
    slot.copy_of = source.index;
    slot.member_offset = static_cast<std::uint32_t>(copy_members_.size());
    slot.member_length = static_cast<std::uint32_t>(member.size());
    copy_members_.append(member);
}

std::string_view Decisions::bytes_of(const Decision& decision, std::string& scratch) const {
    if (decision.kind != Decision::Kind::inject_copy) return decision.bytes;
    scratch.clear();
    pieces_of(decision).append_to(scratch);
    return scratch;
}

Decisions::CopyPieces Decisions::pieces_of(const Decision& decision) const {
    const KeptStanza& kept = copy_sources_[decision.copy_of];
    const std::string_view stanza = kept.bytes;
    return {stanza.substr(0, kept.to_offset),
            std::string_view(copy_members_).substr(decision.member_offset, decision.member_length),
            stanza.substr(kept.to_offset + kept.to_length)};
}

void Decisions::forget_copy_sources() {
    copy_source_count_ = 0;
    copy_members_.clear();
    epoch_ = 0;
}

std::string& Decisions::inject_in_place(Direction direction) {
    std::string& bytes = next_slot(Decision::Kind::inject, direction).bytes;
    bytes.clear();
    return bytes;
}

}  // namespace xmpp
