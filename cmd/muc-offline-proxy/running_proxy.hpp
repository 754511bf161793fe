// `run`: everything the running proxy owns on its loop (store writer, features, relay,
// metrics endpoint, signal handlers), its start, its SIGHUP reload and its SIGTERM shutdown.
#pragma once

#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "durable/durable_state.hpp"
#include "features.hpp"
#include "metrics_page.hpp"
#include "net/loop_busy.hpp"
#include "net/metrics_endpoint.hpp"
#include "net/proxy.hpp"

// The message check-config prints for a config that does not load (without the program
// name): the file, the key path, what was expected and what was found.
std::string config_error_text(const std::string& path, const config::ConfigError& error);

class RunningProxy {
  public:
    RunningProxy(uv_loop_t* loop, std::string config_path, config::Config config,
                 std::unique_ptr<store::SqliteStore> store);
    ~RunningProxy();

    // Starts listening and installs the signal handlers; on failure everything started is
    // closed again (run the loop to let it finish) and `error` says why.
    bool start(std::string& error);
    // SIGHUP: re-reads the config file and applies it, or refuses it and keeps the running one.
    void reload();
    // SIGTERM, SIGINT.
    void shut_down(const char* why);
    // Counters and summaries at exit.
    void log_summary() const;

  private:
    void apply(config::Config next);
    bool start_metrics(std::string& error);
    void stop_metrics();
    void close_signals();

    uv_loop_t* loop_;
    std::string config_path_;
    config::Config config_;
    durable::DurableState durable_;
    Features features_;
    net::Proxy proxy_;
    ReloadCounters reloads_;
    net::LoopBusyMeter loop_busy_;
    net::MetricsEndpointCounters metrics_endpoint_counters_;  // across endpoint restarts
    MetricsPage page_;
    std::unique_ptr<net::MetricsEndpoint> metrics_;
    std::vector<std::unique_ptr<net::MetricsEndpoint>> stopped_metrics_;
    uv_signal_t term_{}, interrupt_{}, hangup_{};
    bool signals_open_ = false;
    bool reload_waiting_ = false;
    bool shutting_down_ = false;
};
