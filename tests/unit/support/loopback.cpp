#include "loopback.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <future>
#include <stdexcept>

#include "xmpp/handshake.hpp"

namespace loopback {
namespace {

bool wait_readable(int fd, Duration timeout) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

sockaddr_in loopback_address(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

}  // namespace

Socket& Socket::operator=(Socket&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = other.fd_;
        eof_ = other.eof_;
        other.fd_ = -1;
    }
    return *this;
}

Socket::~Socket() {
    close();
}

void Socket::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

void Socket::send_all(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd p{fd_, POLLOUT, 0};
            ::poll(&p, 1, 1000);
            continue;
        }
        if (n <= 0) throw std::runtime_error("send failed");
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::size_t Socket::send_some_nonblocking(std::string_view bytes) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
}

std::string Socket::read_some(Duration timeout) {
    if (!wait_readable(fd_, timeout)) return {};
    char buffer[65536];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
        eof_ = true;
        return {};
    }
    return std::string(buffer, static_cast<std::size_t>(n));
}

bool Socket::read_exactly(std::string& received, std::size_t count, Duration timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (received.size() < count && !eof_) {
        auto left =
            std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
        if (left <= 0ms) return false;
        received += read_some(left);
    }
    return received.size() >= count;
}

bool Socket::read_until(std::string& received, std::string_view needle, Duration timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (received.find(needle) == std::string::npos) {
        if (eof_) return false;
        auto left =
            std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
        if (left <= 0ms) return false;
        received += read_some(left);
    }
    return true;
}

bool Socket::read_to_eof(std::string& received, Duration timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!eof_) {
        auto left =
            std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
        if (left <= 0ms) return false;
        received += read_some(left);
    }
    return true;
}

Socket connect_to(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address = loopback_address(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return Socket();
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return Socket(fd);
}

std::uint16_t free_port() {
    ListeningSocket probe;
    return probe.port();
}

ListeningSocket::ListeningSocket(int receive_buffer_bytes) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // Set before listen(): accepted sockets inherit it, and the window is scaled to it.
    if (receive_buffer_bytes > 0)
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes,
                     sizeof receive_buffer_bytes);
    sockaddr_in address = loopback_address(0);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 8) != 0) {
        throw std::runtime_error("cannot listen on loopback");
    }
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
}

ListeningSocket::~ListeningSocket() {
    ::close(fd_);
}

Socket ListeningSocket::accept(Duration timeout) {
    if (!wait_readable(fd_, timeout)) return Socket();
    int fd = ::accept(fd_, nullptr, nullptr);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return Socket(fd);
}

ProxyThread::ProxyThread(config::Link link, net::ChainFactory chains,
                         std::optional<std::string> capture, net::Durability* durability) {
    spdlog::set_level(spdlog::level::off);
    if (!chains) chains = [](const config::Link&) { return std::make_unique<xmpp::FilterChain>(); };
    uv_loop_init(&loop_);
    config::Config config;
    config.links.push_back(std::move(link));
    config.capture_path = std::move(capture);
    proxy_ = std::make_unique<net::Proxy>(&loop_, config, chains, durability);
    std::string error;
    if (!proxy_->start(error)) throw std::runtime_error(error);
    port_ = proxy_->listeners().front()->bound_port();
    stop_.data = this;
    uv_async_init(&loop_, &stop_, [](uv_async_t* async) {
        auto* self = static_cast<ProxyThread*>(async->data);
        self->proxy_->shut_down(2000, [self] {
            uv_close(reinterpret_cast<uv_handle_t*>(&self->stop_), nullptr);
            uv_close(reinterpret_cast<uv_handle_t*>(&self->task_), nullptr);
        });
    });
    task_.data = this;
    uv_async_init(&loop_, &task_, [](uv_async_t* async) {
        auto* self = static_cast<ProxyThread*>(async->data);
        std::vector<std::function<void()>> tasks;
        {
            std::lock_guard<std::mutex> lock(self->tasks_mutex_);
            tasks.swap(self->tasks_);
        }
        for (auto& task : tasks) task();
    });
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
}

ProxyThread::~ProxyThread() {
    shut_down();
}

void ProxyThread::run_on_loop(std::function<void()> task) {
    std::promise<void> done;
    auto finished = done.get_future();
    {
        std::lock_guard<std::mutex> lock(tasks_mutex_);
        tasks_.push_back([&task, &done] {
            task();
            done.set_value();
        });
    }
    uv_async_send(&task_);
    finished.wait();
}

void ProxyThread::shut_down() {
    if (stopped_) return;
    stopped_ = true;
    uv_async_send(&stop_);
    thread_.join();
    uv_loop_close(&loop_);
}

const session::LinkCounters& ProxyThread::counters() const {
    return proxy_->listeners().front()->counters();
}

std::size_t ProxyThread::sessions() const {
    return proxy_->session_count();
}

config::Link test_link(std::uint16_t upstream_port) {
    config::Link link;
    link.name = "test";
    link.domain = kDomain;
    link.listen = {"127.0.0.1", 0};
    link.upstream = {"127.0.0.1", upstream_port};
    return link;
}

std::string component_header(std::string_view to) {
    return "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
           "xmlns:stream='http://etherx.jabber.org/streams' to='" +
           std::string(to) + "'>";
}

std::string server_header(std::string_view id) {
    return "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
           "xmlns='jabber:component:accept' id='" +
           std::string(id) + "' from='" + kDomain + "'>";
}

Session establish(ProxyThread& proxy, ListeningSocket& upstream) {
    return establish_on(proxy.port(), upstream);
}

Session establish_on(std::uint16_t proxy_port, ListeningSocket& upstream) {
    Session session;
    session.component = connect_to(proxy_port);
    REQUIRE(session.component.valid());
    session.component.send_all(component_header());
    session.server = upstream.accept(5s);
    REQUIRE(session.server.valid());

    std::string at_server;
    REQUIRE(session.server.read_exactly(at_server, component_header().size(), 5s));
    CHECK(at_server == component_header());

    session.server.send_all(server_header("s1d"));
    std::string at_component;
    REQUIRE(session.component.read_exactly(at_component, server_header("s1d").size(), 5s));
    CHECK(at_component == server_header("s1d"));

    const std::string handshake =
        "<handshake>" + xmpp::handshake_digest("s1d", "secret") + "</handshake>";
    session.component.send_all(handshake);
    at_server.clear();
    REQUIRE(session.server.read_exactly(at_server, handshake.size(), 5s));
    CHECK(at_server == handshake);

    session.server.send_all("<handshake/>");
    at_component.clear();
    REQUIRE(session.component.read_exactly(at_component, 12, 5s));
    CHECK(at_component == "<handshake/>");
    return session;
}

}  // namespace loopback
