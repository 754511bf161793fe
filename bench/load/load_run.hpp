// One run of the load generator: a fake XMPP server listening for the component link and a
// fake MUC connecting to the relay, both on one libuv loop, both speaking XEP-0114 (stream
// header, <handshake>hex(SHA-1(stream id + secret))</handshake>). After the handshake the
// run goes through its phases; in each, each end sends its script and checks every stanza
// that arrives from the other end.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "placement.hpp"
#include "relay.hpp"
#include "script.hpp"

namespace bench {

struct Flow {
    const Script* script = nullptr;
    std::uint64_t count = 0;
    double rate = 0;  // stanzas/s; 0: as fast as the link takes them
};

struct Phase {
    Flow to_server;  // sent by the fake MUC
    Flow to_muc;     // sent by the fake server
};

struct RunSpec {
    RelaySettings relay;
    std::vector<Phase> phases;  // the last one is measured
    bool latency = false;       // record one-way latency in the measured phase
    double stall_seconds = 30;  // no arrival for this long: the run fails
    // Above 0: the relay's RSS is read this often during the measured phase (rss_samples).
    unsigned rss_sample_interval_ms = 0;
    CpuPlacement placement;  // left to the scheduler unless set
};

struct FlowResult {
    std::uint64_t stanzas = 0, copies = 0, bytes = 0;
    std::uint64_t copy_bytes = 0;  // of `bytes`
    double seconds = 0;            // first send to last arrival
    double p50_us = 0, p99_us = 0, p999_us = 0;
    // Of the stanzas that may wait for a commit (Script::may_arrive_late), apart.
    double waited_p50_us = 0, waited_p99_us = 0;
    double stanzas_per_second() const { return seconds > 0 ? stanzas / seconds : 0; }
    double copies_per_second() const { return seconds > 0 ? copies / seconds : 0; }
    double megabytes_per_second() const { return seconds > 0 ? bytes / seconds / 1e6 : 0; }
};

// The proxy's event-loop iterations during the measured phase (its /metrics histogram of
// busy time per iteration): how many, and the bucket bounds (µs) under which 99 %, 99.9 % and
// all of them fall. Zero for the other relays.
struct LoopBusy {
    std::uint64_t iterations = 0;
    double p99_us = 0, p999_us = 0, worst_us = 0;
};

// The relay's resident memory `seconds` after the measured phase began.
struct RssSample {
    double seconds = 0;
    std::uint64_t bytes = 0;
};

struct RunResult {
    bool ok = false;
    std::string error;
    FlowResult to_server, to_muc;
    std::uint64_t relay_cpu_ns = 0;     // over the measured phase, every thread's time on a CPU
    std::uint64_t relay_system_ns = 0;  // the kernel's part of it (socket writes, fsync)
    std::uint64_t relay_minor_faults = 0;
    std::uint64_t rss_before_measured = 0, rss_after = 0;
    // With RunSpec::rss_sample_interval_ms: from the phase's start to its last arrival.
    std::vector<RssSample> rss_samples;
    LoopBusy loop_busy;
    // The relay's CPU over the measured phase divided by `n` (stanzas, copies or messages), µs.
    double relay_cpu_us_per(std::uint64_t n) const {
        return n == 0 ? 0 : static_cast<double>(relay_cpu_ns) / 1000.0 / static_cast<double>(n);
    }
    LoopBusy loop_cpu;  // the loop thread's CPU time over the same iterations
};

RunResult run_load(const RunSpec& spec);

}  // namespace bench
