// The output a session holds while a persist barrier waits for the store: written in order once
// the state is durable, or, when the commit failed, with each barrier's fallback in place of
// what depended on it.
#include <spdlog/spdlog.h>

#include "net/session.hpp"
#include "net/session_side.hpp"

namespace net {

void Session::send(Side& to, std::string_view bytes) {
    if (barriers_ > 0) {
        held_.push_back(Held{&to, std::string(bytes), stanza_barrier_, false});
        held_bytes_ += bytes.size();
        return;
    }
    if (to.closing) return;
    to.out.append(bytes);
}

void Session::persist(xmpp::Direction fallback_direction, std::string_view fallback) {
    if (env_.durability == nullptr) return;
    ++barriers_;
    std::uint32_t barrier = 0;
    if (!fallback.empty()) {
        held_barriers_.push_back(HeldBarrier{false, stanza_barrier_});
        barrier = static_cast<std::uint32_t>(held_barriers_.size());
        Side& to = fallback_direction == xmpp::Direction::to_server ? *server_ : *component_;
        held_.push_back(Held{&to, std::string(fallback), barrier, true});
        held_bytes_ += fallback.size();
        stanza_barrier_ = barrier;
    }
    std::weak_ptr<bool> alive = alive_;
    env_.durability->after_durable([this, alive, barrier](bool durable) {
        if (alive.expired()) return;
        if (!durable && barrier != 0) held_barriers_[barrier - 1].failed = true;
        if (--barriers_ == 0) release_held();
    });
}

bool Session::barrier_failed(std::uint32_t barrier) const {
    for (; barrier != 0; barrier = held_barriers_[barrier - 1].after) {
        if (held_barriers_[barrier - 1].failed) return true;
    }
    return false;
}

void Session::release_held() {
    for (Held& held : held_) {
        const bool written = held.fallback
                                 ? held_barriers_[held.barrier - 1].failed &&
                                       !barrier_failed(held_barriers_[held.barrier - 1].after)
                                 : !barrier_failed(held.barrier);
        Side& side = *held.side;
        auto& stanzas = side.kind == SideKind::server ? env_.counters->stanzas_to_server
                                                      : env_.counters->stanzas_to_component;
        auto& bytes = side.kind == SideKind::server ? env_.counters->bytes_to_server
                                                    : env_.counters->bytes_to_component;
        // emit() counted what the filter decided; the count follows what is really written.
        if (held.fallback && written) {
            stanzas.fetch_add(1, std::memory_order_relaxed);
            bytes.fetch_add(held.bytes.size(), std::memory_order_relaxed);
            env_.counters->answers_not_durable.fetch_add(1, std::memory_order_relaxed);
            spdlog::debug(
                "link {}: session {}: the state an answer depended on was not stored: "
                "sent the filter's error to the {} instead",
                env_.config->name, session_, name_of(side));
        } else if (!held.fallback && !written) {
            stanzas.fetch_sub(1, std::memory_order_relaxed);
            bytes.fetch_sub(held.bytes.size(), std::memory_order_relaxed);
        }
        if (!written) continue;
        // A side closed by its peer is not written to; a side closing for another reason still
        // gets what was decided before, as with any flush.
        if (!side.broken && side.handle_open) side.out.append(held.bytes);
    }
    held_.clear();
    held_barriers_.clear();
    held_bytes_ = 0;
    component_->out.flush();
    server_->out.flush();
    for (Side* side : {component_.get(), server_.get()}) {
        if (side->closing) close_side(*side);
    }
    update_backpressure();
}

}  // namespace net
