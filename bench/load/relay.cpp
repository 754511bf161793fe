#include "relay.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace bench {

const char* relay_name(RelayKind kind) {
    switch (kind) {
        case RelayKind::direct:
            return "direct";
        case RelayKind::socat:
            return "socat";
        case RelayKind::proxy_off:
            return "proxy, feature off";
        case RelayKind::proxy_on:
            return "proxy, feature on";
    }
    return "?";
}

std::uint16_t pick_free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        if (fd >= 0) ::close(fd);
        throw std::runtime_error(std::string("cannot pick a free port: ") + std::strerror(errno));
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

// /proc/net/tcp lines: "sl local_address rem_address st ...", address HEXIP:HEXPORT, 0A is
// LISTEN. Probing with connect() instead would open a session through the relay.
bool listens_on_loopback(std::uint16_t port) {
    std::ifstream in("/proc/net/tcp");
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state;
        fields >> slot >> local >> remote >> state;
        const auto colon = local.find(':');
        if (state != "0A" || colon == std::string::npos) continue;
        if (std::stoul(local.substr(colon + 1), nullptr, 16) != port) continue;
        const auto ip = static_cast<std::uint32_t>(std::stoul(local.substr(0, colon), nullptr, 16));
        if (ip == 0 || ip == htonl(INADDR_LOOPBACK)) return true;
    }
    return false;
}

std::string tail_of(const std::filesystem::path& file, std::size_t lines) {
    std::ifstream in(file);
    std::deque<std::string> last;
    std::string line;
    while (std::getline(in, line)) {
        last.push_back(line);
        if (last.size() > lines) last.pop_front();
    }
    std::string out;
    for (const auto& l : last) out += l + "\n";
    return out;
}

namespace {

// The `limits` member with the watermarks the settings change, or nothing.
std::string queue_limits(const RelaySettings& settings) {
    std::string members;
    auto add = [&](const char* key, std::size_t bytes) {
        if (bytes == 0) return;
        if (!members.empty()) members += ",";
        members += std::string("\"") + key + "\":" + std::to_string(bytes);
    };
    add("write_queue_high_bytes", settings.write_queue_high_bytes);
    add("write_queue_low_bytes", settings.write_queue_low_bytes);
    return members.empty() ? members : "\"limits\":{" + members + "},";
}

std::string proxy_config(const RelaySettings& settings, std::uint16_t listen,
                         std::uint16_t upstream, std::uint16_t metrics,
                         const std::filesystem::path& store) {
    std::ostringstream json;
    json << R"({"links":[{"domain":"conference.localhost","listen":{"host":"127.0.0.1","port":)"
         << listen << R"(},"upstream":{"host":"127.0.0.1","port":)" << upstream << "}}],"
         << R"("offline":{"enabled":)" << (settings.kind == RelayKind::proxy_on ? "true" : "false")
         << "},"
         << R"("metrics":{"listen":{"host":"127.0.0.1","port":)" << metrics << "}},"
         << queue_limits(settings) << R"("store":{"path":")" << store.string()
         << R"("},"log":{"level":"warn"}})"
         << "\n";
    return json.str();
}

// GET `path` from 127.0.0.1:`port`, the whole answer (HTTP/1.0: the server closes).
std::string http_get(std::uint16_t port, const std::string& path) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return {};
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string answer;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
        const std::string request = "GET " + path + " HTTP/1.0\r\n\r\n";
        if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size())) {
            char buffer[16384];
            for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
                answer.append(buffer, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    return answer;
}

// `own_group`: the child leads a process group of its own, so that a signal to the group also
// reaches what a wrapper (a profiler that forks) started.
pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& log,
            bool own_group) {
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    if (own_group) {
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&attributes, 0);
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    return pid;
}

}  // namespace

Relay::Relay(const RelaySettings& settings, std::uint16_t upstream_port) : settings_(settings) {
    if (settings_.kind == RelayKind::direct) {
        port_ = upstream_port;
        return;
    }
    port_ = pick_free_port();
    std::vector<std::string> argv;
    if (settings_.kind == RelayKind::socat) {
        log_ = settings_.work_dir / "socat.log";
        // nodelay on both ends: without it socat batches on loopback and its latency would
        // measure the missing flag, not relaying.
        argv = {"socat",
                "TCP-LISTEN:" + std::to_string(port_) + ",bind=127.0.0.1,reuseaddr,nodelay",
                "TCP:127.0.0.1:" + std::to_string(upstream_port) + ",nodelay"};
    } else {
        log_ = settings_.work_dir / "proxy.log";
        const auto store = settings_.work_dir / "state.db";
        // The last run's write-ahead log goes too: SQLite would replay a proxy's leftover log
        // (one killed before it closed the store) onto the fresh copy, and the run would start
        // with that proxy's pages (seen under a profiler: no registrations, no copies).
        for (const char* suffix : {"", "-wal", "-shm", "-journal"})
            std::filesystem::remove(store.string() + suffix);
        if (settings_.kind == RelayKind::proxy_on && !settings_.store.empty())
            std::filesystem::copy_file(settings_.store, store);
        const auto config = settings_.work_dir / "proxy.json";
        metrics_port_ = pick_free_port();
        std::ofstream(config) << proxy_config(settings_, port_, upstream_port, metrics_port_,
                                              store);
        // A wrapper before the proxy (BENCH_PROXY_PREFIX) may fork it: signals go to the
        // group. Without one, the relay stays in the bench's group: an interrupt stops both.
        own_group_ = !settings_.prefix.empty();
        argv = settings_.prefix;
        argv.insert(argv.end(), {std::filesystem::absolute(settings_.proxy_binary).string(), "run",
                                 "--config", config.string()});
    }
    pid_ = spawn(argv, log_, own_group_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!listens_on_loopback(port_)) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error(std::string(relay_name(settings_.kind)) +
                                     " exited before listening:\n" + tail_of(log_, 20));
        }
        if (std::chrono::steady_clock::now() > deadline) {
            stop();
            throw std::runtime_error(std::string(relay_name(settings_.kind)) +
                                     " did not listen within 120 s:\n" + tail_of(log_, 20));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

Relay::~Relay() {
    if (pid_ > 0) {
        signal_relay(SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
}

void Relay::signal_relay(int signal) const {
    ::kill(own_group_ ? -pid_ : pid_, signal);
}

Relay::CpuTimes Relay::cpu() const {
    if (pid_ <= 0) return {};
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Fields after the command name (which may hold spaces): minflt is field 10, utime 14,
    // stime 15.
    std::istringstream rest(text.substr(text.rfind(')') + 2));
    std::string field;
    std::uint64_t minflt = 0, utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 10) minflt = std::stoull(field);
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    const std::uint64_t tick_ns =
        1000000000ull / static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
    return {utime * tick_ns, stime * tick_ns, on_cpu_ns(pid_), minflt};
}

// The sum over the process's threads of schedstat's first field; 0 where the kernel keeps
// no schedstat.
std::uint64_t Relay::on_cpu_ns(pid_t pid) {
    std::uint64_t sum = 0;
    std::error_code error;
    const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
    for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
        std::ifstream in(task.path() / "schedstat");
        std::uint64_t ns = 0;
        if (in >> ns) sum += ns;
    }
    return sum;
}

std::uint64_t Relay::rss_bytes() const {
    if (pid_ <= 0) return 0;
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string key;
    while (in >> key) {
        if (key == "VmRSS:") {
            std::uint64_t kib = 0;
            in >> kib;
            return kib * 1024;
        }
    }
    return 0;
}

std::vector<std::pair<double, std::uint64_t>> Relay::loop_buckets(std::string_view family) const {
    std::vector<std::pair<double, std::uint64_t>> buckets;
    if (metrics_port_ == 0 || pid_ <= 0) return buckets;
    const std::string page = http_get(metrics_port_, "/metrics");
    const std::string prefix = "muc_offline_proxy_" + std::string(family) + "_bucket{le=\"";
    std::istringstream lines(page);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(prefix, 0) != 0) continue;
        const std::size_t end = line.find('"', prefix.size());
        const std::string bound = line.substr(prefix.size(), end - prefix.size());
        const double upper =
            bound == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(bound);
        buckets.emplace_back(upper, std::stoull(line.substr(line.rfind(' ') + 1)));
    }
    return buckets;
}

int Relay::stop() {
    if (pid_ <= 0) return 0;
    signal_relay(SIGTERM);
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            signal_relay(SIGKILL);
            ::waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
    // A wrapper that does not catch SIGTERM (time, perf stat) dies of the signal its proxy got;
    // the proxy's own exit was the one the log shows.
    if (own_group_ && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) return 0;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    // socat ends with 0 once its one connection closed; the proxy with 0 after SIGTERM.
    if (code != 0 && settings_.kind != RelayKind::socat)
        throw std::runtime_error(std::string(relay_name(settings_.kind)) + " exited with " +
                                 std::to_string(code) + ":\n" + tail_of(log_, 20));
    return code;
}

}  // namespace bench
