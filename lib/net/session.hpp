// One component session on its sockets: the MUC's connection on a link's listen port and the
// connection the proxy opens to the server for it. The XEP-0114 protocol, the filters and what
// waits for a commit are the core's (session::ComponentSession); this drives it with libuv:
// reads, write queues, backpressure, timers, the upstream connection, and the close of every
// handle, after which it frees itself through `on_finished`.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "net/capture.hpp"
#include "net/durability.hpp"
#include "session/component_session.hpp"
#include "xmpp/filter_chain.hpp"

namespace net {

struct SessionEnvironment {
    const config::Link* config;
    session::LinkCounters* counters;
    CaptureFile* capture;          // may be disabled
    Durability* durability;        // may be null: then persist decisions cost nothing
    std::uint64_t proxy_start_ns;  // uv_hrtime() at start: filters and captures count from it
    const bool* log_stanzas;       // may be null; when true, every relayed stanza is logged
    std::function<void(class Session*)> on_finished;
};

class Session : private session::SessionActions {
  public:
    Session(uv_loop_t* loop, SessionEnvironment environment,
            std::unique_ptr<xmpp::FilterChain> chain, unsigned number);
    ~Session() override;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // The socket to pass to uv_accept; then call start().
    uv_stream_t* component_stream();
    void start();
    // Refuses a connection the listener could not accept properly.
    void abandon();

    // SIGTERM: the MUC gets <system-shutdown/>, the server the closing tag, both are flushed.
    void shut_down();
    // After the shutdown grace period: close without waiting for peers.
    void close_now();

    bool authenticated() const { return core_.authenticated(); }
    // Bytes waiting to be written on both sides, held ones included.
    std::size_t queued_bytes() const;

  private:
    struct Side;
    std::size_t write_queue_high_bytes() const {
        return env_.config->limits.write_queue_high_bytes;
    }
    Side& side(session::Side which) {
        return which == session::Side::component ? *component_ : *server_;
    }

    // What the core asks for.
    void write(const session::Write& write) override;
    void connect_upstream() override;
    void handshake_accepted() override;
    void record(const xmpp::StateRecord& change) override;
    void wait_durable(std::uint64_t ticket, session::Side fallback_to,
                      std::string_view fallback) override;
    bool over_high_watermark() override;
    void log(session::LogLevel level, std::string_view line) override;
    void note(std::string_view line) override;
    void ended() override;

    // Socket events.
    void on_read(Side& side, ssize_t nread);
    void on_written(Side& side, int status);
    void on_resolved(int status, struct addrinfo* result);
    void on_connected(int status);
    void on_timeout(const char* what);

    // After the core took input or released held output: write, and apply backpressure.
    void after_core();
    void update_backpressure();
    std::size_t largest_queue() const;
    xmpp::Moment now() const;

    // A side whose stream is over is shut down once it has written what it is owed; when both
    // are, every handle closes.
    void close_when_drained(Side& side);
    void close_handles_when_done();

    uv_loop_t* loop_;
    SessionEnvironment env_;
    unsigned number_;
    std::unique_ptr<Side> component_;
    std::unique_ptr<Side> server_;
    session::ComponentSession core_;
    uv_timer_t handshake_timer_{};
    uv_timer_t connect_timer_{};
    // Runs after_core() once at the end of a loop iteration in which commits became durable.
    uv_check_t after_commits_{};
    uv_check_t prepare_ahead_{};  // after the iteration's reads: ComponentSession::prepare_ahead
    uv_getaddrinfo_t resolve_request_{};
    uv_connect_t connect_request_{};
    bool resolving_ = false;  // a getaddrinfo callback is still to come
    bool handles_closing_ = false;
    bool paused_ = false;
    bool resuming_input_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace net
