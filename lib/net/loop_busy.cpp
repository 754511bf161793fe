#include "net/loop_busy.hpp"

#include <time.h>

#include <algorithm>

#include "net/close_handles.hpp"

namespace net {

namespace {

// The calling thread's CPU time, user and system (the loop runs on the thread that started
// the meter).
std::uint64_t thread_cpu_ns() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1000000000ull +
           static_cast<std::uint64_t>(now.tv_nsec);
}

}  // namespace

LoopBusyMeter::LoopBusyMeter(uv_loop_t* loop) : loop_(loop) {}

void LoopBusyMeter::start() {
    if (open_) return;
    open_ = true;
    uv_loop_configure(loop_, UV_METRICS_IDLE_TIME);
    uv_check_init(loop_, &check_);
    check_.data = this;
    // A check handle does not keep the loop alive on its own.
    uv_unref(as_handle(&check_));
    last_ns_ = uv_hrtime();
    last_idle_ns_ = uv_metrics_idle_time(loop_);
    last_cpu_ns_ = thread_cpu_ns();
    uv_check_start(&check_, [](uv_check_t* check) {
        static_cast<LoopBusyMeter*>(check->data)->on_iteration();
    });
}

void LoopBusyMeter::stop(std::function<void()> done) {
    if (!open_) {
        if (done) done();
        return;
    }
    open_ = false;
    close_handles({as_handle(&check_)}, std::move(done));
}

// From one check to the next: everything the loop did in between, less the time it waited in
// the poll for I/O.
void LoopBusyMeter::on_iteration() {
    const std::uint64_t now_ns = uv_hrtime();
    const std::uint64_t idle_ns = uv_metrics_idle_time(loop_);
    const std::uint64_t elapsed = now_ns - last_ns_;
    const std::uint64_t idle = idle_ns - last_idle_ns_;
    const double busy = static_cast<double>(elapsed > idle ? elapsed - idle : 0) / 1e9;
    const std::uint64_t cpu_ns = thread_cpu_ns();
    last_ns_ = now_ns;
    last_idle_ns_ = idle_ns;
    busy_seconds_.observe(busy);
    cpu_seconds_.observe(static_cast<double>(cpu_ns - last_cpu_ns_) / 1e9);
    last_cpu_ns_ = cpu_ns;
    longest_seconds_ = std::max(longest_seconds_, busy);
}

}  // namespace net
