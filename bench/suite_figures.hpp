// The figures the suite's sections collect that the targets are judged on, kept so
// that the Targets section is computed from the same runs as the tables above it.
#pragma once

#include <map>
#include <vector>

namespace bench {

// One figure: a value per round in which every run it needs went through. A section with a
// failed run leaves its figures unjudged, whatever the other rounds gave.
struct Measured {
    std::vector<double> rounds;
    bool some_run_failed = false;
};

struct LatencyFigures {
    // The proxy's (feature on) p99 minus socat's in the same round, µs.
    Measured to_server_p99_over_socat, to_muc_p99_over_socat;
    Measured to_server_p999, to_muc_p999, socat_to_server_p999, socat_to_muc_p999;  // µs
};

struct SuiteFigures {
    // Stanzas/s of the proxy (feature on) ÷ socat's in the same round.
    Measured to_server_vs_socat, to_muc_vs_socat, guests_vs_socat;
    std::map<int, LatencyFigures> latency;            // by stanzas/s each way
    std::map<int, Measured> fanout_cpu_per_copy_us;   // by K
    int watched_fanout = 0;                           // the K of the three below
    Measured rss_growth_bytes;                        // peak during the run − before it
    Measured rss_allowed_bytes;                       // high watermark + one message's copies
    Measured default_vs_raised_watermarks;            // copies/s ÷ copies/s
    Measured bytes_per_session;                       // one run
    std::map<long, Measured> bytes_per_registration;  // by registrations; one run each
};

}  // namespace bench
