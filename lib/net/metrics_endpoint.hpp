// The operator's HTTP endpoint: GET /metrics (Prometheus text) and GET /healthz, on the loop
// thread. HTTP/1.1 with keep-alive, parsed by http-parser; a request's head is bounded, an
// idle connection is closed, and so is one beyond kMaxConnections.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>

#include "config/config.hpp"

namespace net {

struct HealthReport {
    bool healthy = false;
    std::string text;  // the body: "ok" and a line per link
};

struct MetricsPages {
    std::function<std::string()> metrics;  // the exposition text
    std::function<HealthReport()> health;
};

class MetricsEndpoint {
  public:
    static constexpr std::size_t kMaxRequestHeadBytes = 8 * 1024;
    static constexpr std::uint64_t kDefaultIdleTimeoutMs = 30000;
    static constexpr std::size_t kMaxConnections = 64;

    MetricsEndpoint(uv_loop_t* loop, config::Endpoint listen, MetricsPages pages,
                    std::uint64_t idle_timeout_ms = kDefaultIdleTimeoutMs);
    ~MetricsEndpoint();
    MetricsEndpoint(const MetricsEndpoint&) = delete;
    MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

    // Binds and listens; on failure `error` names the address and why.
    bool start(std::string& error);
    // Stops accepting and closes every connection; `on_closed` once all handles are closed.
    void stop(std::function<void()> on_closed);

    // Stopped and every handle closed: the object may go.
    bool closed() const { return stopping_ && !server_open_ && connections_.empty(); }
    const config::Endpoint& listen() const { return listen_; }
    std::uint16_t bound_port() const;

  private:
    struct Connection;
    friend struct Connection;

    void on_connection(int status);
    void forget(Connection* connection);
    void check_closed();

    uv_loop_t* loop_;
    config::Endpoint listen_;
    MetricsPages pages_;
    std::uint64_t idle_timeout_ms_;
    uv_tcp_t server_{};
    bool server_open_ = false;
    bool stopping_ = false;
    std::function<void()> on_closed_;
    std::list<std::unique_ptr<Connection>> connections_;
};

}  // namespace net
