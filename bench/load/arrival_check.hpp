// The receiving end's verdict on every stanza: it must be the next one sent, byte for byte
// (none lost, none duplicated, order kept), or, when the proxy's feature is on, one of the
// copies the current room message owes to an absent opted-in member: the MUC's message with
// only `to` changed to the member's bare JID, each member once, before the next stanza. A
// stanza the script says may arrive late may come after later ones (once, byte for byte).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "script.hpp"

namespace bench {

class ArrivalCheck {
  public:
    // `sent_at` (may be null): send time of each stanza, for one-way latency.
    ArrivalCheck(const Script& script, std::uint64_t count, bool expect_copies,
                 const std::vector<std::uint64_t>* sent_at);

    // Consumes every complete stanza at the front of `bytes`, received at `now_ns`; leaves an
    // incomplete one. False at the first error (see error()).
    bool consume(std::string_view& bytes, std::uint64_t now_ns);
    bool done() const { return next_ == count_ && copies_due_ == 0 && late_.empty(); }
    const std::string& error() const { return error_; }

    std::uint64_t stanzas() const { return next_; }
    std::uint64_t copies() const { return copies_; }
    std::uint64_t stanza_bytes() const { return stanza_bytes_; }
    std::uint64_t copy_bytes() const { return copy_bytes_; }
    std::uint64_t last_arrival_ns() const { return last_arrival_ns_; }
    // One-way latencies of the stanzas that may not wait for a commit, and of those that may.
    std::vector<std::uint32_t>& latencies_ns() { return latencies_ns_; }
    std::vector<std::uint32_t>& waited_latencies_ns() { return waited_latencies_ns_; }

  private:
    enum class Step { consumed, need_more, failed };
    Step take_expected(std::string_view& bytes, std::uint64_t now_ns);
    Step take_copy(std::string_view& bytes);
    Step take_late(std::string_view& bytes, std::uint64_t now_ns);
    // The expected stanza has not come and may come later: expect the next one meanwhile.
    bool defer_expected();
    void note_latency(std::uint64_t seq, std::uint64_t now_ns);
    bool fail(std::string why, std::string_view near);
    void enter_stanza(std::uint64_t seq);

    const Script& script_;
    std::uint64_t count_;
    bool expect_copies_;
    const std::vector<std::uint64_t>* sent_at_;

    std::uint64_t next_ = 0;
    std::string expected_;  // stanza next_'s bytes
    bool expected_ready_ = false;

    std::int64_t broadcast_ = -1;           // the room message whose copies may arrive now
    std::string copy_before_, copy_after_;  // its bytes around the `to` value
    const CopyTargets* targets_ = nullptr;
    std::vector<std::uint64_t> copied_in_;  // per target: the broadcast it was last copied for
    std::uint64_t copies_due_ = 0;
    struct Late {
        std::uint64_t seq;
        std::string bytes;
    };
    std::vector<Late> late_;  // deferred, not arrived yet

    std::uint64_t copies_ = 0, stanza_bytes_ = 0, copy_bytes_ = 0, last_arrival_ns_ = 0;
    std::vector<std::uint32_t> latencies_ns_, waited_latencies_ns_;
    std::string error_;
};

}  // namespace bench
