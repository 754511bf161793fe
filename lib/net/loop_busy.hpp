// How long the event loop runs callbacks in one iteration, without waiting for I/O: while it
// does, no read on any connection is handled, so a long iteration is a stall every peer sees
// (the tail of its latency). Observed after each poll from the loop's own idle-time metric,
// which start() turns on (UV_METRICS_IDLE_TIME). Beside it, the loop thread's CPU time over
// the same iteration: an iteration far longer than its CPU time was not the proxy's own work
// but the machine's (another process or the host had the CPU meanwhile).
#pragma once

#include <uv.h>

#include <array>
#include <cstdint>
#include <functional>

#include "metrics/histogram.hpp"

namespace net {

class LoopBusyMeter {
  public:
    explicit LoopBusyMeter(uv_loop_t* loop);
    LoopBusyMeter(const LoopBusyMeter&) = delete;
    LoopBusyMeter& operator=(const LoopBusyMeter&) = delete;

    void start();
    // Its handle closes; `done` runs after (the loop can end).
    void stop(std::function<void()> done);

    // Seconds of callbacks per loop iteration.
    const metrics::Histogram& busy_seconds() const { return busy_seconds_; }
    // Seconds of the loop thread's CPU time per iteration.
    const metrics::Histogram& cpu_seconds() const { return cpu_seconds_; }
    double longest_seconds() const { return longest_seconds_; }

  private:
    void on_iteration();

    uv_loop_t* loop_;
    uv_check_t check_{};
    bool open_ = false;
    std::uint64_t last_ns_ = 0;
    std::uint64_t last_idle_ns_ = 0;
    std::uint64_t last_cpu_ns_ = 0;
    static constexpr std::array<double, 13> kBounds = {
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
    metrics::Histogram busy_seconds_{{kBounds.begin(), kBounds.end()}};
    metrics::Histogram cpu_seconds_{{kBounds.begin(), kBounds.end()}};
    double longest_seconds_ = 0;
};

}  // namespace net
