#include "session/held_output.hpp"

namespace session {

std::uint32_t HeldOutput::add_barrier(Side fallback_to, std::string_view fallback) {
    ++outstanding_;
    if (fallback.empty()) return 0;
    barriers_.push_back(Barrier{false, stanza_barrier_});
    const auto barrier = static_cast<std::uint32_t>(barriers_.size());
    held_.push_back(Held{fallback_to, Unit::added, true, true, barrier, std::string(fallback)});
    bytes_ += fallback.size();
    stanza_barrier_ = barrier;
    return barrier;
}

void HeldOutput::hold(const Write& write) {
    held_.push_back(Held{write.to, write.unit, write.after_persist, false, stanza_barrier_,
                         std::string(write.bytes)});
    bytes_ += write.bytes.size();
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
