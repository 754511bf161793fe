// The whole relay on one libuv loop: a listener per configured link, the optional capture
// file, and an orderly shutdown (stop accepting, flush, close streams).
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "net/capture.hpp"
#include "net/listener.hpp"

namespace net {

class Proxy {
  public:
    Proxy(uv_loop_t* loop, config::Config config, ChainFactory chain_factory,
          Durability* durability = nullptr);
    ~Proxy();
    Proxy(const Proxy&) = delete;
    Proxy& operator=(const Proxy&) = delete;

    // Opens the capture file and every listen socket; on failure nothing is left listening.
    bool start(std::string& error);

    // Stops accepting, ends every session gracefully and calls `on_done` once all are closed;
    // sessions still open after `grace_ms` are closed at once.
    void shut_down(std::uint64_t grace_ms, std::function<void()> on_done);

    // SIGHUP: applies a new, valid config. A link is known by its name. One whose listen
    // address, upstream, domain or offline.enabled changed is restarted (its sessions end
    // gracefully, a new listener starts); one whose limits changed keeps its sessions and
    // they read the new limits; a removed link stops accepting and its sessions end
    // gracefully; an added link starts. store.path and capture are not changed here.
    struct Reconfigured {
        std::vector<std::string> kept, updated, restarted, added, removed;
        std::vector<std::string> errors;  // links that could not start: they are down
    };
    Reconfigured reconfigure(const config::Config& next);

    const std::vector<std::unique_ptr<Listener>>& listeners() const { return listeners_; }
    std::size_t session_count() const;
    // Every link's listener accepts (false while shutting down).
    bool accepting() const;
    void log_counters() const;

  private:
    std::unique_ptr<Listener> make_listener(const config::Link& link);
    void retire(std::unique_ptr<Listener> listener);
    // Deadlines and the reaping of finished listeners run on timers; the timers are opened on
    // first use and closed with the shutdown.
    void open_timers();
    // On the next loop iteration (a listener calls back from inside its own session's
    // callback): frees retired listeners that finished, and ends the shutdown once all have.
    void settle_soon();
    void settle();
    void close_sessions_now(const char* why);

    uv_loop_t* loop_;
    config::Config config_;
    ChainFactory chain_factory_;
    Durability* durability_;
    CaptureFile capture_;
    std::uint64_t start_ns_;
    std::vector<std::unique_ptr<Listener>> listeners_;
    // Removed or restarted links whose sessions are still ending.
    std::vector<std::unique_ptr<Listener>> retiring_;
    uv_timer_t settle_timer_{};
    uv_timer_t retire_deadline_{};    // sessions of retired links still open then are closed
    uv_timer_t shutdown_deadline_{};  // sessions still open then are closed
    bool timers_open_ = false;
    bool log_stanzas_ = false;
    bool shutting_down_ = false;
    bool shutdown_done_ = false;
    int listeners_open_ = 0;
    std::function<void()> on_shutdown_done_;
};

}  // namespace net
