// One component session: the MUC's connection on a link's listen port and the connection the
// proxy opened to the server for it. Relays the XEP-0114 header and handshake untouched,
// then runs every stanza through the filter chain. Owns both sockets, their write queues and
// their framers; frees itself (through `on_finished`) only after every handle has closed.
#pragma once

#include <spdlog/common.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "net/capture.hpp"
#include "net/durability.hpp"
#include "net/link_counters.hpp"
#include "net/write_queue.hpp"
#include "xml/framer.hpp"
#include "xmpp/filter_chain.hpp"

namespace net {

struct SessionEnvironment {
    const config::Link* config;
    LinkCounters* counters;
    CaptureFile* capture;          // may be disabled
    Durability* durability;        // may be null: then persist decisions cost nothing
    std::uint64_t proxy_start_ns;  // uv_hrtime() at start: filters and captures count from it
    const bool* log_stanzas;       // may be null; when true, every relayed stanza is logged
    std::function<void(class Session*)> on_finished;
};

class Session : private xmpp::StanzaOutput {
  public:
    Session(uv_loop_t* loop, SessionEnvironment environment,
            std::unique_ptr<xmpp::FilterChain> chain, unsigned session);
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

    bool authenticated() const { return authenticated_; }
    // Bytes waiting to be written on both sides, held ones included.
    std::size_t queued_bytes() const;

  private:
    enum class SideKind { component, server };
    struct Side;
    friend struct Side;

    Side& other(Side& side);
    xmpp::Direction direction_from(const Side& side) const;
    const char* name_of(const Side& side) const;

    // Framer events, per side.
    void on_stream_open(Side& side, const xml::ElementView& header, std::string_view raw);
    void on_stanza(Side& side, const xml::ElementView& top, std::string_view raw);
    void on_whitespace(Side& side, std::string_view raw);
    void on_stream_close(Side& side, std::string_view raw);
    void on_peer_stream_error(Side& side, const xml::ElementView& error);

    // Socket events.
    void on_read(Side& side, ssize_t nread);
    // After the framer took a read (or resumed what it kept): a framing error ends the
    // session; a read handled to its end ends the filters' batch.
    void handle_framed(Side& side, bool framed);
    void keep_rest_if_over_watermark(Side& side);
    void on_written(Side& side, int status);
    void after_input();
    xmpp::Moment now() const;

    void connect_upstream();
    void on_resolved(int status, struct addrinfo* result);
    void on_connected(int status);
    void on_timeout(const char* what);

    void emit(xmpp::Direction direction, std::string_view bytes,
              xmpp::Decision::Kind how = xmpp::Decision::Kind::forward) override;
    void note(std::string_view line) override;
    void persist(xmpp::Direction fallback_direction, std::string_view fallback) override;
    void release_held();
    bool barrier_failed(std::uint32_t barrier) const;
    void send(Side& to, std::string_view bytes);
    void send_stream_error(Side& to, std::string_view condition, std::string_view text);
    void fail_stream(Side& offender, std::string_view condition, std::string_view text);
    // The session ends; its one log line says why, at `level`.
    void finish(const std::string& reason, spdlog::level::level_enum level = spdlog::level::info);
    void close_side(Side& side);
    static void on_side_closed(uv_handle_t* handle);
    void release();
    void update_backpressure();
    // Handles what the framers kept at a pause; true once nothing is kept.
    bool resume_kept_input();
    std::size_t largest_queue() const;

    uv_loop_t* loop_;
    SessionEnvironment env_;
    std::unique_ptr<xmpp::FilterChain> chain_;
    unsigned session_;
    std::unique_ptr<Side> component_;
    std::unique_ptr<Side> server_;
    uv_timer_t handshake_timer_{};
    uv_timer_t connect_timer_{};
    uv_getaddrinfo_t resolve_request_{};
    uv_connect_t connect_request_{};
    int outstanding_ = 0;  // open handles and requests; the session is freed when none are left
    bool authenticated_ = false;
    bool upstream_started_ = false;
    bool finishing_ = false;
    bool paused_ = false;
    bool resuming_input_ = false;
    // While a persist barrier is outstanding, everything this session would write waits here, in
    // order, so nothing that depends on the state goes out before the state is durable. A
    // barrier with a fallback makes what the same stanza emits after it depend on its commit:
    // if the commit fails, those entries are dropped and the fallback goes out in their place.
    struct Held {
        Side* side;
        std::string bytes;
        std::uint32_t barrier = 0;  // 1 + index in held_barriers_ it depends on; 0: none
        bool fallback = false;      // that barrier's fallback: written only if it failed
    };
    struct HeldBarrier {
        bool failed = false;
        std::uint32_t after = 0;  // the stanza's earlier barrier with a fallback, if any
    };
    int barriers_ = 0;
    std::vector<Held> held_;
    std::vector<HeldBarrier> held_barriers_;  // barriers with a fallback, until released
    std::uint32_t stanza_barrier_ = 0;  // while a stanza runs: its latest barrier with a fallback
    std::size_t held_bytes_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace net
