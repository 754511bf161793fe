// The measured comparison: every figure of bench/RESULTS.md, with the relays interleaved
// round by round (direct, socat, proxy off, proxy on, then again) so that a noisy machine
// shifts all of them alike.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace bench {

struct SuiteOptions {
    std::string proxy_binary = "build/muc-offline-proxy";
    std::filesystem::path work_dir;
    int rounds = 3;
    double scale = 1.0;  // multiplies every stanza count (a quick look: 0.1)
    std::string only;    // sections by name, comma-separated (e.g. "latency,fanout"); empty: all
    std::vector<std::string> proxy_prefix;  // words before the proxy's command (a profiler)
};

// Runs everything and writes Markdown tables to `out`; false if any run failed (each failure
// is written out too).
bool run_suite(const SuiteOptions& options, std::ostream& out);

}  // namespace bench
