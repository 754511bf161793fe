// The output a session holds while a persist barrier waits for the store. Written in order
// once the state is durable, or, when a commit failed, with each barrier's fallback in place of
// what depended on it.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

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
    // Whether a write that does not depend on any barrier must still wait: something to the
    // same recipient (the `to` of a stanza) is held, and XMPP keeps the order of what one
    // entity sends another. A stream-level write waits for everything held for its side.
    // `recipient`: the write's `to` value when the caller knows it already.
    bool must_wait(const Write& write, std::optional<std::string_view> recipient) const;
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
        held_for_[0] = held_for_[1] = 0;
        recipients_[0].clear();
        recipients_[1].clear();
    }

  private:
    struct Held {
        Side to;
        std::string_view recipient;  // in `bytes`
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
    std::deque<Held> held_;         // a deque: `recipient` views stay valid as it grows
    std::deque<Barrier> barriers_;  // barriers with a fallback, until released
    void add(Held held);

    std::uint32_t stanza_barrier_ = 0;
    std::size_t bytes_ = 0;
    std::size_t held_for_[2] = {0, 0};                    // entries held for each side
    std::unordered_set<std::string_view> recipients_[2];  // of the stanzas held, by side
};

}  // namespace session
