// The output a session holds while a persist barrier waits for the store. Each held write goes
// out, in order, as soon as every barrier added before it has settled, or, when a commit
// failed, with each barrier's fallback in place of what depended on it. A join storm (a barrier
// per join, each commit overlapping the next) thus holds what one commit covers, not the
// storm.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "session/recipient_counts.hpp"
#include "session/session_actions.hpp"

namespace session {

class HeldOutput {
  public:
    bool holding() const { return outstanding_ > 0; }
    // What the held output costs, its bookkeeping included: it counts against the write
    // queues' watermarks, and a join storm holds thousands of small presences.
    std::size_t bytes() const { return bytes_; }
    // Per held write on top of its bytes: the entry, its recipient's count, near enough.
    static constexpr std::size_t kEntryOverhead = 160;

    // A stanza (or a batch end) starts or ends: what it emits after its own barrier with a
    // fallback depends on that barrier, nothing else does.
    void start_stanza() { stanza_barrier_ = 0; }
    // A new barrier; returns its ticket for settle(). With a fallback, what the stanza emits
    // from now on depends on it.
    std::uint64_t add_barrier(Side fallback_to, std::string_view fallback);
    // `recipient`, here and below: the write's `to` value when the caller knows it already
    // (otherwise it is read from the bytes).
    void hold(const Write& write, std::optional<std::string_view> recipient = std::nullopt);
    // Whether a write that does not depend on any barrier must still wait: something to the
    // same recipient (the `to` of a stanza) is held, and XMPP keeps the order of what one
    // entity sends another. A stream-level write waits for everything held for its side.
    bool must_wait(const Write& write, std::optional<std::string_view> recipient) const;
    // A barrier's commit is over; then call release().
    void settle(std::uint64_t ticket, bool durable);
    // Calls `out(write)` for each held entry whose barriers have all settled, in order (a
    // fallback only if its barrier failed), and forgets them.
    template <typename Out>
    void release(Out&& out) {
        while (!held_.empty() && held_.front().after_barriers <= settled_prefix_) {
            const Held& held = held_.front();
            if (goes_out(held)) {
                out(Write{held.to, bytes_of(held), held.fallback ? Unit::fallback : held.unit,
                          held.after_persist});
            }
            forget_front();
        }
        if (outstanding_ == 0) reset();
    }

  private:
    struct Held {
        Side to;
        Unit unit;
        bool after_persist;
        bool fallback;                 // that barrier's fallback: written only if it failed
        std::uint32_t barrier;         // 1 + index in barriers_ it depends on; 0: none
        std::uint64_t after_barriers;  // barriers added before it: all must settle first
        std::uint64_t recipient;       // hash of its `to` (not for a stream-level write)
        std::uint64_t start;           // where its bytes begin in bytes_held_'s positions
        std::size_t length;
    };
    struct Barrier {
        bool failed = false;
        std::uint32_t after = 0;  // the stanza's earlier barrier with a fallback, if any
    };

    void add(Held held, std::string_view bytes, std::optional<std::string_view> recipient);
    bool failed(std::uint32_t barrier) const;
    bool goes_out(const Held& held) const;
    std::string_view bytes_of(const Held& held) const;
    void forget_front();
    // Every barrier has settled and everything held went out: the counts start again.
    void reset();

    int outstanding_ = 0;
    std::deque<Held> held_;
    // The held writes' bytes, one after the other, so holding one costs no allocation. A
    // position counts from the first byte ever held; bytes_base_ is that of bytes_held_[0].
    std::string bytes_held_;
    std::uint64_t bytes_base_ = 0;
    std::deque<Barrier> barriers_;  // barriers with a fallback, until all have settled
    // Unsettled barrier numbers (tickets are number + 1) with a fallback -> index in barriers_.
    std::map<std::uint64_t, std::uint32_t> fallback_of_;
    std::uint64_t barriers_added_ = 0;
    // Barriers 0 .. settled_prefix_ - 1 have all settled; those after it that have, too.
    std::uint64_t settled_prefix_ = 0;
    std::set<std::uint64_t> settled_out_of_order_;

    std::uint32_t stanza_barrier_ = 0;
    std::size_t bytes_ = 0;
    std::size_t held_for_[2] = {0, 0};  // entries held for each side
    RecipientCounts recipients_[2];     // of the stanzas held, by side
};

}  // namespace session
