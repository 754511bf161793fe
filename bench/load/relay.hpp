// What sits between the fake MUC and the fake server in a run: nothing (direct), socat, or
// the proxy with its feature off or on. Starts and stops the process, reads its CPU time and
// resident memory from /proc.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace bench {

enum class RelayKind { direct, socat, proxy_off, proxy_on };
const char* relay_name(RelayKind kind);

struct RelaySettings {
    RelayKind kind = RelayKind::direct;
    std::string proxy_binary = "build/muc-offline-proxy";
    std::filesystem::path work_dir;  // config, store and log live here
    std::filesystem::path store;     // proxy_on: a prepared state file, copied per run
    // The proxy's `limits.write_queue_high_bytes` and `_low_bytes`; 0 keeps its default.
    std::size_t write_queue_high_bytes = 0, write_queue_low_bytes = 0;
    // Words put before the proxy's command line (e.g. a profiler), from BENCH_PROXY_PREFIX.
    std::vector<std::string> prefix;
};

class Relay {
  public:
    // Starts the relay towards the fake server at `upstream_port`; returns once it listens.
    Relay(const RelaySettings& settings, std::uint16_t upstream_port);
    ~Relay();
    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    std::uint16_t port() const { return port_; }  // where the fake MUC connects
    pid_t pid() const { return pid_; }
    struct CpuTimes {
        // In clock ticks (10 ms): the split between the proxy's code and the kernel's.
        std::uint64_t user_ns = 0, system_ns = 0;
        // Every thread's time on a CPU, to the nanosecond (/proc/PID/task/*/schedstat): a
        // fan-out run of 0.2 s read in 10 ms ticks moved by 5% on rounding alone.
        std::uint64_t on_cpu_ns = 0;
        std::uint64_t minor_faults = 0;  // pages the kernel had to map in (system time)
        std::uint64_t total_ns() const { return on_cpu_ns > 0 ? on_cpu_ns : user_ns + system_ns; }
    };
    CpuTimes cpu() const;             // zero for direct
    std::uint64_t rss_bytes() const;  // 0 for direct
    // A histogram of the proxy's per loop iteration, from its /metrics (`family` without the
    // muc_offline_proxy_ prefix: loop_busy_seconds for the time, loop_busy_cpu_seconds for its
    // CPU time): (upper bound in seconds, +infinity last; cumulative count). Empty for other
    // relays.
    std::vector<std::pair<double, std::uint64_t>> loop_buckets(std::string_view family) const;
    // SIGTERM and wait; the exit status (or -1). A failed exit throws with the log's tail.
    int stop();

  private:
    static std::uint64_t on_cpu_ns(pid_t pid);
    void signal_relay(int signal) const;
    RelaySettings settings_;
    std::uint16_t port_ = 0;
    std::uint16_t metrics_port_ = 0;  // the proxy's /metrics
    pid_t pid_ = -1;
    bool own_group_ = false;  // pid_ leads a process group of its own
    std::filesystem::path log_;
};

std::uint16_t pick_free_port();
bool listens_on_loopback(std::uint16_t port);
std::string tail_of(const std::filesystem::path& file, std::size_t lines);

}  // namespace bench
