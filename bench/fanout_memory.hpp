// The proxy's memory while it produces a large fan-out: its RSS over the run with the default
// write-queue watermarks, and the same runs with the watermarks raised beyond what they can
// fill, to show what the bound holds memory to and what it costs in copies/s.
#pragma once

#include <cstddef>
#include <ostream>
#include <vector>

#include "load/load_run.hpp"

namespace bench {

inline constexpr unsigned kRssSampleIntervalMs = 20;
inline constexpr std::size_t kRaisedHighBytes = 1024ull * 1024 * 1024;  // the config's maximum
inline constexpr std::size_t kRaisedLowBytes = 256ull * 1024 * 1024;

// One variant's runs, a value per run that went through.
struct WatermarkRuns {
    std::vector<double> copies_per_second, before, peak, growth, lowest;
    std::vector<RssSample> samples;  // of the last run that went through
    void add(const RunResult& r);
};

struct FanoutMemory {
    int members = 0;  // K
    int rounds = 0;
    WatermarkRuns bounded, raised;
    std::vector<double> bounded_vs_raised;  // copies/s ÷ copies/s, per round both went through
    // The proxy's default high watermark plus the bytes of one message's copies, per run.
    std::vector<double> allowed_growth;
};

void write_fanout_memory(const FanoutMemory& memory, std::ostream& out);

}  // namespace bench
