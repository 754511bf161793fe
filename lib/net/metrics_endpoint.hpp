// The operator's HTTP endpoint: GET /metrics (Prometheus text) and GET /healthz, on the loop
// thread. HTTP/1.1 with keep-alive, parsed by http-parser. A request's head is bounded in bytes
// and in time (from its first byte, however slowly the rest comes), an idle connection is
// closed, and past max_connections a new connection closes the one that has waited longest
// without a request completing, so slow or silent clients cannot keep a scraper out.
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

struct MetricsEndpointLimits {
    std::uint64_t idle_timeout_ms = 30000;     // between requests
    std::uint64_t request_timeout_ms = 10000;  // from a request's first byte to its last
    std::size_t max_connections = 64;
};

// Connections the endpoint closed on its own, by reason. Loop thread only.
struct MetricsEndpointCounters {
    std::uint64_t idle_timeout = 0;
    std::uint64_t request_timeout = 0;
    std::uint64_t evicted = 0;  // the longest waiting, for a new connection past the cap
    std::uint64_t refused = 0;  // a new connection past the cap, every other one mid-response
};

class MetricsEndpoint {
  public:
    static constexpr std::size_t kMaxRequestHeadBytes = 8 * 1024;

    // `counters` may be null; it outlives the endpoint (it is kept across reloads).
    MetricsEndpoint(uv_loop_t* loop, config::Endpoint listen, MetricsPages pages,
                    MetricsEndpointLimits limits = {}, MetricsEndpointCounters* counters = nullptr);
    ~MetricsEndpoint();
    MetricsEndpoint(const MetricsEndpoint&) = delete;
    MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

    // Binds and listens; on failure `error` names the address and why.
    bool start(std::string& error);
    // Stops accepting and closes every connection; `on_closed` once all handles are closed
    // (maybe before stop() returns). It is the last thing the endpoint does: it may destroy
    // the endpoint.
    void stop(std::function<void()> on_closed);

    // Stopped and every handle closed: the object may go.
    bool closed() const { return stopping_ && !server_open_ && connections_.empty(); }
    const config::Endpoint& listen() const { return listen_; }
    std::uint16_t bound_port() const;

  private:
    struct Connection;
    friend struct Connection;

    using Connections = std::list<std::unique_ptr<Connection>>;

    void on_connection(int status);
    // Makes room for one more connection; false when every open one is mid-response.
    bool make_room();
    // `connection` completed a request (or was just accepted): it is the last to be evicted.
    void note_progress(Connection& connection);
    void forget(Connection* connection);
    void check_closed();

    uv_loop_t* loop_;
    config::Endpoint listen_;
    MetricsPages pages_;
    MetricsEndpointLimits limits_;
    MetricsEndpointCounters own_counters_;
    MetricsEndpointCounters* counters_;
    uv_tcp_t server_{};
    bool server_open_ = false;
    bool stopping_ = false;
    std::function<void()> on_closed_;
    // Least recent progress first; closing ones included until their handles have closed.
    Connections connections_;
    std::size_t open_connections_ = 0;  // not closing
};

}  // namespace net
