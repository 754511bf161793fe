// Test peers on loopback: blocking sockets with deadlines, a fake XMPP server and a fake
// component around the real relay, which runs on its own loop thread.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "net/proxy.hpp"

namespace loopback {

using namespace std::chrono_literals;
using Duration = std::chrono::milliseconds;

class Socket {
  public:
    explicit Socket(int fd = -1) : fd_(fd) {}
    Socket(Socket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    Socket& operator=(Socket&& other) noexcept;
    ~Socket();

    bool valid() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    void send_all(std::string_view bytes);
    // Sends as much as the kernel takes without blocking; returns the count.
    std::size_t send_some_nonblocking(std::string_view bytes);
    // Reads whatever arrives within `timeout`; empty on timeout, and sets eof() on EOF.
    std::string read_some(Duration timeout);
    // Reads until `received` holds at least `count` bytes, EOF, or the deadline.
    bool read_exactly(std::string& received, std::size_t count, Duration timeout);
    // Reads until `needle` appears in `received`, EOF, or the deadline.
    bool read_until(std::string& received, std::string_view needle, Duration timeout);
    // Reads until EOF (true) or the deadline (false).
    bool read_to_eof(std::string& received, Duration timeout);
    bool eof() const { return eof_; }
    void close();

  private:
    int fd_;
    bool eof_ = false;
};

Socket connect_to(std::uint16_t port);
// A loopback port free right now (bound and released), for a process that binds it itself.
std::uint16_t free_port();

class ListeningSocket {
  public:
    // 127.0.0.1, a port the kernel picks. `receive_buffer_bytes`, when given, fixes the
    // accepted sockets' receive buffer (no autotuning): a peer that stops reading makes the
    // writer queue after that much, not after the tens of megabytes loopback may take.
    explicit ListeningSocket(int receive_buffer_bytes = 0);
    ~ListeningSocket();
    std::uint16_t port() const { return port_; }
    Socket accept(Duration timeout);  // invalid Socket on timeout

  private:
    int fd_;
    std::uint16_t port_;
};

// The relay under test, on its own thread and loop.
class ProxyThread {
  public:
    ProxyThread(config::Link link, net::ChainFactory chains = nullptr,
                std::optional<std::string> capture = {}, net::Durability* durability = nullptr);
    // Runs `task` on the proxy's loop thread and waits for it.
    void run_on_loop(std::function<void()> task);
    ~ProxyThread();
    std::uint16_t port() const { return port_; }
    const session::LinkCounters& counters() const;
    std::size_t sessions() const;
    // Graceful shutdown, as on SIGTERM; returns when the loop has ended.
    void shut_down();

  private:
    uv_loop_t loop_{};
    uv_async_t stop_{};
    uv_async_t task_{};
    std::mutex tasks_mutex_;
    std::vector<std::function<void()>> tasks_;
    std::unique_ptr<net::Proxy> proxy_;
    std::thread thread_;
    std::uint16_t port_ = 0;
    bool stopped_ = false;
};

// A link config for tests: listen on a kernel-picked port, upstream at `upstream_port`.
config::Link test_link(std::uint16_t upstream_port);

inline const std::string kDomain = "conference.localhost";
std::string component_header(std::string_view to = kDomain);
std::string server_header(std::string_view id);

// Both ends of one component session, after the XEP-0114 handshake went through the relay.
struct Session {
    Socket component;  // the fake MUC's socket
    Socket server;     // the fake server's accepted socket
};
// Runs the handshake and checks that the relay passed header and handshake unchanged.
Session establish(ProxyThread& proxy, ListeningSocket& upstream);
// The same against a proxy listening on `proxy_port` (e.g. a proxy process).
Session establish_on(std::uint16_t proxy_port, ListeningSocket& upstream);

}  // namespace loopback
