#include "xmpp/stanza_filter.hpp"

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

std::string& Decisions::inject_in_place(Direction direction) {
    std::string& bytes = next_slot(Decision::Kind::inject, direction).bytes;
    bytes.clear();
    return bytes;
}

}  // namespace xmpp
