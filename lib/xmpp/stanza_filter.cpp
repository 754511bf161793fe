#include "xmpp/stanza_filter.hpp"

namespace xmpp {

std::string_view direction_name(Direction direction) {
    return direction == Direction::to_server ? "component->server" : "server->component";
}

void Decisions::add(Decision::Kind kind, Direction direction, std::string bytes) {
    if (count_ == items_.size()) {
        items_.push_back(Decision{kind, direction, std::move(bytes)});
    } else {
        Decision& slot = items_[count_];
        slot.kind = kind;
        slot.direction = direction;
        slot.bytes = std::move(bytes);
    }
    ++count_;
}

std::string& Decisions::inject_in_place(Direction direction) {
    if (count_ == items_.size()) items_.push_back(Decision{Decision::Kind::inject, direction, {}});
    Decision& slot = items_[count_++];
    slot.kind = Decision::Kind::inject;
    slot.direction = direction;
    slot.bytes.clear();
    return slot.bytes;
}

}  // namespace xmpp
