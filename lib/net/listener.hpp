// The listen socket of one configured link: accepts the MUC's connections and keeps the
// component sessions they start until each has closed.
#pragma once

#include <uv.h>

#include <functional>
#include <list>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "net/capture.hpp"
#include "net/session.hpp"
#include "session/link_counters.hpp"

namespace net {

// Builds the filter chain of a new session on a link.
using ChainFactory = std::function<std::unique_ptr<xmpp::FilterChain>(const config::Link&)>;

class Listener {
  public:
    Listener(uv_loop_t* loop, config::Link config, CaptureFile* capture, Durability* durability,
             std::uint64_t proxy_start_ns, ChainFactory chain_factory);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    // Binds and listens (SO_REUSEADDR, as libuv sets it). On failure `error` names the link
    // and the address.
    bool start(std::string& error);
    // Stops accepting; sessions go on.
    void stop(std::function<void()> on_closed);
    // A reload changed what may change under running sessions (limits, feature options):
    // sessions read the new limits from here. Name, domain and addresses stay.
    void update(const config::Link& config) { config_ = config; }
    // Where stanza contents are logged when the operator asked for it (log.stanzas).
    void log_stanzas_from(const bool* flag) { log_stanzas_ = flag; }
    // Called whenever a session has finished or the listen socket has closed (after stop()):
    // what finished() answers may have changed. Never called from inside a Listener method the
    // owner called.
    void on_change(std::function<void()> changed) { on_change_ = std::move(changed); }
    // Graceful end of every session (SIGTERM), or an immediate one after the grace period.
    void shut_down_sessions();
    void close_sessions_now();

    std::size_t session_count() const { return sessions_.size(); }
    // Accepting connections: started successfully and not stopped.
    bool accepting() const { return accepting_; }
    // The listen socket is closed (after stop()) and no session is left.
    bool finished() const { return listen_closed_ && sessions_.empty(); }
    // The port actually bound (the configured one, or the kernel's pick when it was 0).
    std::uint16_t bound_port() const;
    const config::Link& config() const { return config_; }
    const session::LinkCounters& counters() const { return counters_; }
    std::size_t queued_bytes() const;

  private:
    void on_connection(int status);

    uv_loop_t* loop_;
    config::Link config_;
    CaptureFile* capture_;
    Durability* durability_;
    std::uint64_t proxy_start_ns_;
    ChainFactory chain_factory_;
    session::LinkCounters counters_;
    uv_tcp_t server_{};
    bool listening_ = false;  // the listen handle is open
    bool accepting_ = false;
    bool listen_closed_ = false;
    const bool* log_stanzas_ = nullptr;
    std::function<void()> on_closed_;
    std::function<void()> on_change_;
    unsigned next_session_ = 1;
    std::list<std::unique_ptr<Session>> sessions_;
};

}  // namespace net
