// The output a session holds while a persist barrier waits for the store. Written in order
// once the state is durable, or, when a commit failed, with each barrier's fallback in place of
// what depended on it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "session/session_actions.hpp"

namespace session {

class HeldOutput {
  public:
    bool holding() const { return outstanding_ > 0; }
    std::size_t bytes() const { return bytes_; }

    // A stanza (or a batch end) starts or ends: what it emits after its own barrier with a
    // fallback depends on that barrier, nothing else does.
    void start_stanza() { stanza_barrier_ = 0; }
    // A new barrier; returns its ticket. With a fallback, what the stanza emits from now on
    // depends on it.
    std::uint32_t add_barrier(Side fallback_to, std::string_view fallback);
    void hold(const Write& write);
    // A barrier's commit is over. True when none is left outstanding: call release().
    bool settle(std::uint32_t ticket, bool durable);
    // Calls `out(write)` for each entry to be written, in order, and forgets them all.
    template <typename Out>
    void release(Out&& out) {
        for (const Held& held : held_) {
            if (!goes_out(held)) continue;
            out(Write{held.to, held.bytes, held.fallback ? Unit::fallback : held.unit,
                      held.after_persist});
        }
        held_.clear();
        barriers_.clear();
        stanza_barrier_ = 0;
        bytes_ = 0;
    }

  private:
    struct Held {
        Side to;
        Unit unit;
        bool after_persist;
        bool fallback;          // that barrier's fallback: written only if it failed
        std::uint32_t barrier;  // 1 + index in barriers_ it depends on; 0: none
        std::string bytes;
    };
    struct Barrier {
        bool failed = false;
        std::uint32_t after = 0;  // the stanza's earlier barrier with a fallback, if any
    };
    bool failed(std::uint32_t barrier) const;
    bool goes_out(const Held& held) const;

    int outstanding_ = 0;
    std::vector<Held> held_;
    std::vector<Barrier> barriers_;  // barriers with a fallback, until released
    std::uint32_t stanza_barrier_ = 0;
    std::size_t bytes_ = 0;
};

}  // namespace session
