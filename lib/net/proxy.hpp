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

    const std::vector<std::unique_ptr<Listener>>& listeners() const { return listeners_; }
    std::size_t session_count() const;
    void log_counters() const;

  private:
    void check_shutdown_done();

    uv_loop_t* loop_;
    config::Config config_;
    ChainFactory chain_factory_;
    Durability* durability_;
    CaptureFile capture_;
    std::uint64_t start_ns_;
    std::vector<std::unique_ptr<Listener>> listeners_;
    uv_timer_t shutdown_timer_{};
    bool shutdown_timer_open_ = false;
    std::uint64_t shutdown_deadline_ms_ = 0;
    bool forced_ = false;
    int listeners_open_ = 0;
    std::function<void()> on_shutdown_done_;
};

}  // namespace net
