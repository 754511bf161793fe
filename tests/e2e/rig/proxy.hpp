#pragma once
// What sits on the component link between the server and the MUC: muc-offline-proxy itself,
// or (E2E_RELAY=socat) a plain socat TCP relay, which is both the stand-in used before the
// proxy existed and the baseline of "a link that changes nothing".
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "deadline.hpp"
#include "process.hpp"

namespace rig {

enum class RelayKind { proxy, socat };

struct ProxySettings {
    RelayKind kind = RelayKind::proxy;
    std::string binary;  // muc-offline-proxy; ignored for socat
    std::string link_name = "conference";
    std::string domain = "conference.localhost";
    std::uint16_t upstream_port = 0;  // the server's component port
    // More top-level config members, as JSON text without braces, e.g.
    // `"registration": "standalone", "capture": "/tmp/x.jsonl"`.
    std::string extra_config;
};

// The binary from MUC_OFFLINE_PROXY, else build/muc-offline-proxy (relative to the current
// directory, which is the project root under `make`).
std::string default_proxy_binary();

// RelayKind::socat when E2E_RELAY=socat, else RelayKind::proxy.
RelayKind relay_kind_from_env();

// How the link goes away: a graceful stop (SIGTERM: the proxy flushes, writes its state and
// logs its counters) or a crash (SIGKILL at once: nothing more leaves the process).
enum class StopHow { sigterm, sigkill };

class Proxy {
  public:
    // Writes the config (proxy only), starts the process and returns once its listen port
    // listens. Throws, with the log tail, otherwise.
    Proxy(const std::filesystem::path& dir, ProxySettings settings, Deadline deadline);

    // Stops the process (SIGTERM: SIGKILL after 5 s if it has not exited by then). The
    // process stays inspectable (state, log) until the next start().
    void stop(StopHow how);
    // Starts it again with the same command line, config and store, on the same listen port;
    // returns once the port listens. Its output goes on in the same log.
    void start(Deadline deadline);
    bool running() const { return process_->running(); }

    std::uint16_t listen_port() const { return listen_port_; }
    const ProxySettings& settings() const { return settings_; }
    std::string description() const;  // "muc-offline-proxy (build/...)" or "socat relay"
    Process& process() const { return *process_; }

  private:
    std::string config_json(const std::filesystem::path& dir) const;

    ProxySettings settings_;
    std::uint16_t listen_port_;
    std::string name_;
    std::vector<std::string> argv_;
    std::filesystem::path log_path_;
    std::unique_ptr<Process> process_;
    int starts_ = 0;
};

}  // namespace rig
