// bench-load: the load generator of bench/ (see bench/README.md).
//   bench-load suite [--rounds N] [--scale X] [--only SECTION] [--proxy PATH]
//       every figure, relays interleaved; Markdown on stdout; exit 1 if any run failed;
//       --only runs one section or a comma-separated list (throughput, guests, latency,
//       committing, fanout, memory, growth); the targets of the others read "not measured"
//   bench-load one --relay direct|socat|off|on [--flow to-server|guests|to-muc|fanout]
//                  [--count N] [--rate R] [--fanout K] [--bystanders N] [--rooms N]
//                  [--queue-high BYTES] [--queue-low BYTES] [--proxy PATH]
//       one run, one line of figures (with --rate, paced at R stanzas/s and one-way latency
//       measured; the proxy's RSS before the measured phase and its peak during it, read every
//       20 ms)
//   BENCH_PROXY_PREFIX puts words before the proxy's command (e.g. a profiler), in both
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>

#include "load/load_run.hpp"
#include "load/room_traffic.hpp"
#include "load/state_file.hpp"
#include "suite.hpp"

namespace {

struct Args {
    std::string command, relay = "on", flow = "to-server", proxy = "build/muc-offline-proxy";
    std::string only;
    std::uint64_t count = 100000;
    std::size_t queue_high = 0, queue_low = 0;  // 0: the proxy's default watermarks
    int fanout = 0, bystanders = 0, rooms = 1000, rounds = 3;
    double scale = 1.0;
    double rate = 0;
};

int usage() {
    std::cerr << "usage: bench-load suite [--rounds N] [--scale X] [--only SECTION] [--proxy "
                 "PATH]\n"
                 "       bench-load one --relay direct|socat|off|on [--flow "
                 "to-server|guests|to-muc|fanout] [--count N] [--rate R] [--fanout K] "
                 "[--bystanders N] [--rooms N] [--queue-high BYTES] [--queue-low BYTES] "
                 "[--proxy PATH]\n";
    return 2;
}

class TempDir {
  public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "muc-offline-proxy-bench-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

bench::RelayKind relay_kind(const std::string& name) {
    if (name == "direct") return bench::RelayKind::direct;
    if (name == "socat") return bench::RelayKind::socat;
    if (name == "off") return bench::RelayKind::proxy_off;
    if (name == "on") return bench::RelayKind::proxy_on;
    throw std::invalid_argument("--relay: expected direct, socat, off or on, got " + name);
}

std::vector<std::string> words(const char* text) {
    std::vector<std::string> out;
    std::istringstream in(text ? text : "");
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

std::uint64_t peak_rss(const bench::RunResult& r) {
    std::uint64_t peak = 0;
    for (const auto& sample : r.rss_samples) peak = std::max(peak, sample.bytes);
    return peak;
}

int one(const Args& args, const std::filesystem::path& dir) {
    bench::RunSpec spec;
    spec.relay.kind = relay_kind(args.relay);
    spec.relay.proxy_binary = args.proxy;
    spec.relay.work_dir = dir;
    spec.relay.prefix = words(std::getenv("BENCH_PROXY_PREFIX"));
    spec.relay.write_queue_high_bytes = args.queue_high;
    spec.relay.write_queue_low_bytes = args.queue_low;
    spec.rss_sample_interval_ms = 20;
    spec.stall_seconds = spec.relay.prefix.empty() ? 30 : 600;
    bench::RoomShape rooms;
    rooms.rooms = args.rooms;
    std::unique_ptr<bench::Script> setup, traffic;
    bench::Phase measured;
    if (args.flow == "fanout") {
        rooms.rooms = 0;
        setup = bench::fanout_join();
        traffic = bench::fanout_messages(bench::FanoutShape{args.fanout});
        measured.to_server = {traffic.get(), args.count};
    } else {
        setup = bench::joins(rooms);
        if (args.flow == "to-server" || args.flow == "guests") {
            traffic = args.flow == "guests" ? bench::guests_among_broadcasts(rooms)
                                            : bench::muc_broadcasts(rooms);
            measured.to_server = {traffic.get(), args.count, args.rate};
        } else if (args.flow == "to-muc") {
            traffic = bench::client_traffic(rooms);
            measured.to_muc = {traffic.get(), args.count, args.rate};
        } else {
            return usage();
        }
    }
    if (spec.relay.kind == bench::RelayKind::proxy_on) {
        bench::write_state_json(dir / "state.json", rooms, args.flow == "fanout" ? args.fanout : 0,
                                args.flow == "fanout" ? args.bystanders : 0);
        bench::import_state(args.proxy, dir / "state.json", dir / "prepared.db");
        spec.relay.store = dir / "prepared.db";
    }
    const std::uint64_t joins_count = args.flow == "fanout" ? 1 : rooms.occupant_sessions();
    spec.phases = {bench::Phase{{setup.get(), joins_count}, {}}, measured};
    spec.latency = args.rate > 0;
    bench::RunResult r = bench::run_load(spec);
    if (!r.ok) {
        std::cerr << "bench-load: " << r.error << "\n";
        return 1;
    }
    const bench::FlowResult& f = args.flow == "to-muc" ? r.to_muc : r.to_server;
    std::cout << "relay=" << bench::relay_name(spec.relay.kind) << " flow=" << args.flow
              << " stanzas=" << f.stanzas << " copies=" << f.copies << " bytes=" << f.bytes
              << " seconds=" << f.seconds << " stanzas_per_s=" << f.stanzas_per_second()
              << " relay_cpu_us=" << r.relay_cpu_ns / 1000
              << " relay_system_us=" << r.relay_system_ns / 1000
              << " relay_minor_faults=" << r.relay_minor_faults << " rss=" << r.rss_after
              << " rss_before=" << r.rss_before_measured << " rss_peak=" << peak_rss(r);
    if (spec.latency)
        std::cout << " p50_us=" << f.p50_us << " p99_us=" << f.p99_us << " p999_us=" << f.p999_us
                  << " waited_p50_us=" << f.waited_p50_us << " waited_p99_us=" << f.waited_p99_us;
    if (r.loop_busy.iterations > 0)
        std::cout << " loop_iterations=" << r.loop_busy.iterations
                  << " loop_busy_p99_us<=" << r.loop_busy.p99_us
                  << " loop_busy_p999_us<=" << r.loop_busy.p999_us
                  << " loop_busy_worst_us<=" << r.loop_busy.worst_us
                  << " loop_cpu_p99_us<=" << r.loop_cpu.p99_us
                  << " loop_cpu_p999_us<=" << r.loop_cpu.p999_us
                  << " loop_cpu_worst_us<=" << r.loop_cpu.worst_us;
    std::cout << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Args args;
    if (argc < 2) return usage();
    args.command = argv[1];
    for (int i = 2; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) return usage();
        const std::string value = argv[++i];
        if (flag == "--relay")
            args.relay = value;
        else if (flag == "--flow")
            args.flow = value;
        else if (flag == "--proxy")
            args.proxy = value;
        else if (flag == "--count")
            args.count = std::stoull(value);
        else if (flag == "--fanout")
            args.fanout = std::stoi(value);
        else if (flag == "--bystanders")
            args.bystanders = std::stoi(value);
        else if (flag == "--rooms")
            args.rooms = std::stoi(value);
        else if (flag == "--queue-high")
            args.queue_high = std::stoull(value);
        else if (flag == "--queue-low")
            args.queue_low = std::stoull(value);
        else if (flag == "--rate")
            args.rate = std::stod(value);
        else if (flag == "--rounds")
            args.rounds = std::stoi(value);
        else if (flag == "--scale")
            args.scale = std::stod(value);
        else if (flag == "--only")
            args.only = value;
        else
            return usage();
    }
    try {
        TempDir dir;
        if (args.command == "one") return one(args, dir.path());
        if (args.command != "suite") return usage();
        bench::SuiteOptions options;
        options.proxy_binary = args.proxy;
        options.work_dir = dir.path();
        options.rounds = args.rounds;
        options.scale = args.scale;
        options.only = args.only;
        options.proxy_prefix = words(std::getenv("BENCH_PROXY_PREFIX"));
        return bench::run_suite(options, std::cout) ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "bench-load: " << e.what() << "\n";
        return 1;
    }
}
