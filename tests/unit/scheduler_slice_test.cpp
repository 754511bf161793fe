// The loop thread's slice request, against the running kernel: Linux 6.12 and later must grant
// it (and report it back), older kernels must be reported as ignoring it. Each case runs on a
// thread of its own, so the test runner's thread keeps its slice.
#include "net/scheduler_slice.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "support/loopback.hpp"
#include "support/proxy_process.hpp"

namespace {

using Kind = net::SliceOutcome::Kind;
using namespace std::chrono_literals;

// EEVDF takes slice requests from Linux 6.12 on.
bool kernel_takes_slices() {
    utsname name{};
    REQUIRE(uname(&name) == 0);
    int major = 0, minor = 0;
    REQUIRE(std::sscanf(name.release, "%d.%d", &major, &minor) == 2);
    return major > 6 || (major == 6 && minor >= 12);
}

template <typename Body>
void on_a_thread(Body body) {
    std::thread thread(body);
    thread.join();
}

// A container's seccomp filter may refuse sched_setattr (or the runner may be real-time):
// then these cases are reported skipped, not passed.
bool slices_can_change() {
    bool can = false;
    on_a_thread([&can] { can = net::restore_default_scheduler_slice().kind == Kind::restored; });
    return can;
}
const bool kSlicesCanChange = slices_can_change();

}  // namespace

TEST_CASE("scheduler slice: granted and reported back where the kernel takes requests" *
          doctest::skip(!kSlicesCanChange)) {
    const bool takes = kernel_takes_slices();
    on_a_thread([takes] {
        const std::uint64_t before = net::scheduler_slice_ns();
        const net::SliceOutcome outcome = net::request_scheduler_slice(300);
        INFO(outcome.detail);
        if (takes) {
            CHECK(outcome.kind == Kind::granted);
            CHECK(net::scheduler_slice_ns() == 300000);
            CHECK(outcome.slice_before_ns == before);
            CHECK(outcome.detail.find("300 µs") != std::string::npos);
        } else {
            CHECK(outcome.kind == Kind::not_honoured);
            CHECK(net::scheduler_slice_ns() != 300000);
            CHECK(outcome.detail.find("no effect") != std::string::npos);
        }
    });
}

TEST_CASE("scheduler slice: policy, nice value and reset-on-fork stay" *
          doctest::skip(!kSlicesCanChange)) {
    const bool takes = kernel_takes_slices();
    on_a_thread([takes] {
        // Raising one's own nice value, or moving to SCHED_BATCH with reset-on-fork, needs no
        // privilege; the request must undo none of them.
        REQUIRE(setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 7) == 0);
        const sched_param none{};
        REQUIRE(sched_setscheduler(0, SCHED_BATCH | SCHED_RESET_ON_FORK, &none) == 0);
        const net::SliceOutcome outcome = net::request_scheduler_slice(200);
        INFO(outcome.detail);
        if (takes) CHECK(outcome.kind == Kind::granted);
        if (takes) CHECK(net::scheduler_slice_ns() == 200000);
        CHECK(sched_getscheduler(0) == (SCHED_BATCH | SCHED_RESET_ON_FORK));
        errno = 0;
        CHECK(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())) == 7);
    });
}

TEST_CASE("scheduler slice: threads started afterwards inherit it" *
          doctest::skip(!kSlicesCanChange)) {
    const bool takes = kernel_takes_slices();
    on_a_thread([takes] {
        net::request_scheduler_slice(200);
        std::uint64_t child_slice = 0;
        std::thread child([&child_slice] { child_slice = net::scheduler_slice_ns(); });
        child.join();
        if (takes) CHECK(child_slice == 200000);
        CHECK(child_slice == net::scheduler_slice_ns());
    });
}

TEST_CASE("scheduler slice: 0 asks nothing at start; restoring gives the kernel's own back" *
          doctest::skip(!kSlicesCanChange)) {
    const bool takes = kernel_takes_slices();
    on_a_thread([takes] {
        const std::uint64_t kernels = net::scheduler_slice_ns();
        const net::SliceOutcome untouched = net::request_scheduler_slice(0);
        CHECK(untouched.kind == Kind::left_alone);
        CHECK(net::scheduler_slice_ns() == kernels);

        net::request_scheduler_slice(100);
        if (takes) CHECK(net::scheduler_slice_ns() == 100000);
        const net::SliceOutcome restored = net::restore_default_scheduler_slice();
        INFO(restored.detail);
        CHECK(restored.kind == Kind::restored);
        CHECK(net::scheduler_slice_ns() == kernels);
    });
}

TEST_CASE("scheduler slice: the running proxy's loop thread has it, and a reload changes it" *
          doctest::skip(!kSlicesCanChange)) {
    const bool takes = kernel_takes_slices();
    proxy_process::TempDir dir;
    loopback::ListeningSocket upstream;
    const std::string config = dir.file("proxy.json");
    const auto config_with = [&](const std::string& scheduling) {
        return R"({"links": [{"domain": "conference.localhost", "listen": {"port": )" +
               std::to_string(loopback::free_port()) + R"(}, "upstream": {"port": )" +
               std::to_string(upstream.port()) + R"(}}], "store": {"path": ":memory:"})" +
               scheduling + "}";
    };
    proxy_process::write_file(config, config_with(""));
    proxy_process::ProxyProcess proxy(config, dir.file("proxy.log"));
    // The loop thread is the process's first: its id is the pid.
    if (takes) {
        REQUIRE_MESSAGE(proxy.wait_for_log("scheduling slice 100 µs", 10s), proxy.log());
        CHECK(net::scheduler_slice_ns(proxy.pid()) == 100000);
    } else {
        REQUIRE_MESSAGE(proxy.wait_for_log("does not take slice requests", 10s), proxy.log());
    }
    const std::uint64_t kernels = net::scheduler_slice_ns();

    proxy_process::write_file(config, config_with(R"(, "scheduling": {"slice_us": 0})"));
    proxy.send_signal(SIGHUP);
    REQUIRE_MESSAGE(proxy.wait_for_log("SIGHUP: config reloaded", 10s), proxy.log());
    CHECK(proxy.log().find("SIGHUP: scheduling.slice_us is 0: the kernel's own slice again") !=
          std::string::npos);
    CHECK(net::scheduler_slice_ns(proxy.pid()) == kernels);

    proxy_process::write_file(config, config_with(R"(, "scheduling": {"slice_us": 400})"));
    proxy.send_signal(SIGHUP);
    REQUIRE_MESSAGE(proxy.wait_for_log("SIGHUP: config reloaded", 10s, 2), proxy.log());
    if (takes) CHECK(net::scheduler_slice_ns(proxy.pid()) == 400000);
    CHECK(proxy.stop() == 0);
}
