// The event loop's busy time per iteration: callbacks count, waiting for I/O does not.
#include "net/loop_busy.hpp"

#include <doctest/doctest.h>
#include <time.h>
#include <uv.h>

#include <chrono>
#include <thread>

#include "net/close_handles.hpp"

namespace {

double thread_cpu_seconds() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

// Until the thread has had `how_long` of CPU time: on a machine busy with other work that
// takes longer than `how_long`, never less.
void spin(std::chrono::milliseconds how_long) {
    const double until = thread_cpu_seconds() + static_cast<double>(how_long.count()) / 1000;
    while (thread_cpu_seconds() < until) {
    }
}

}  // namespace

TEST_CASE("loop busy meter: a 50 ms callback is seen, a 150 ms wait is not") {
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    net::LoopBusyMeter meter(&loop);
    meter.start();
    uv_timer_t busy, later;
    uv_timer_init(&loop, &busy);
    uv_timer_init(&loop, &later);
    uv_timer_start(
        &busy, [](uv_timer_t*) { spin(std::chrono::milliseconds(50)); }, 0, 0);
    uv_timer_start(
        &later, [](uv_timer_t*) {}, 200, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(meter.longest_seconds() >= 0.05);
    CHECK(meter.busy_seconds().count() >= 2);
    // The 150 ms the loop waited for the second timer are not busy time: beside the spinning
    // iteration, the others were short.
    CHECK(meter.busy_seconds().sum() - meter.longest_seconds() < 0.1);
    // Spinning is the thread's own CPU time, and no iteration has more CPU time than time.
    CHECK(meter.cpu_seconds().count() == meter.busy_seconds().count());
    CHECK(meter.cpu_seconds().sum() >= 0.05);
    CHECK(meter.cpu_seconds().sum() <= meter.busy_seconds().sum() + 0.01);
    bool stopped = false;
    net::close_handles({net::as_handle(&busy), net::as_handle(&later)}, nullptr);
    meter.stop([&] { stopped = true; });
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(stopped);
    CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("loop busy meter: a callback that sleeps is busy time but not CPU time") {
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    net::LoopBusyMeter meter(&loop);
    meter.start();
    uv_timer_t stalled;
    uv_timer_init(&loop, &stalled);
    // As if the machine took the CPU away in the middle of a callback.
    uv_timer_start(
        &stalled, [](uv_timer_t*) { std::this_thread::sleep_for(std::chrono::milliseconds(60)); },
        0, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(meter.busy_seconds().sum() >= 0.06);
    CHECK(meter.cpu_seconds().sum() < 0.02);
    net::close_handles({net::as_handle(&stalled)}, nullptr);
    meter.stop(nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
}
