#include "stream_close_filter.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include "ports.hpp"

namespace rig {
namespace {

// RFC 6120 §4.4: how a stream ends. The proxy writes it in this spelling.
constexpr std::string_view kStreamClose = "</stream:stream>";

// While a connection from mu-conference waits for the link to listen again.
constexpr int kRetryMs = 20;

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        if (sent <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
}

// The length of the longest end of `data` that begins the closing tag (but is not all of it).
std::size_t partial_close_at_end(std::string_view data) {
    for (std::size_t n = std::min(data.size(), kStreamClose.size() - 1); n > 0; --n) {
        if (data.substr(data.size() - n) == kStreamClose.substr(0, n)) return n;
    }
    return 0;
}

}  // namespace

StreamCloseFilter::StreamCloseFilter(std::uint16_t upstream_port) : upstream_port_(upstream_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0 || ::pipe2(wake_, O_CLOEXEC) != 0) {
        if (listen_fd_ >= 0) ::close(listen_fd_);
        throw std::runtime_error(std::string("stream close filter: ") + std::strerror(errno));
    }
    int on = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in address = loopback_address(0);
    socklen_t length = sizeof address;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        ::listen(listen_fd_, 4) != 0) {
        int err = errno;
        ::close(listen_fd_);
        ::close(wake_[0]);
        ::close(wake_[1]);
        throw std::runtime_error(std::string("stream close filter: cannot listen: ") +
                                 std::strerror(err));
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
}

StreamCloseFilter::~StreamCloseFilter() {
    char stop = 1;
    [[maybe_unused]] auto written = ::write(wake_[1], &stop, 1);
    thread_.join();
    close_pair();
    ::close(listen_fd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
}

void StreamCloseFilter::close_pair() {
    if (muc_fd_ >= 0) ::close(muc_fd_);
    if (upstream_fd_ >= 0) ::close(upstream_fd_);
    muc_fd_ = upstream_fd_ = -1;
    held_.clear();
}

bool StreamCloseFilter::connect_upstream() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in address = loopback_address(upstream_port_);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);  // refused: the link is down for now
        return false;
    }
    upstream_fd_ = fd;
    return true;
}

bool StreamCloseFilter::relay_up() {
    char buffer[16384];
    ssize_t got = ::recv(muc_fd_, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR) return true;
    return got > 0 && write_all(upstream_fd_, std::string_view(buffer, got));
}

bool StreamCloseFilter::relay_down() {
    char buffer[16384];
    ssize_t got = ::recv(upstream_fd_, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR) return true;
    if (got <= 0) {
        write_all(muc_fd_, held_);  // never the whole tag: that would have been found
        return false;
    }
    std::string data = held_ + std::string(buffer, static_cast<std::size_t>(got));
    held_.clear();
    for (std::size_t at; (at = data.find(kStreamClose)) != std::string::npos;) {
        data.erase(at, kStreamClose.size());
        ++withheld_;
    }
    std::size_t partial = partial_close_at_end(data);
    held_ = data.substr(data.size() - partial);
    data.resize(data.size() - partial);
    return write_all(muc_fd_, data);
}

void StreamCloseFilter::run() {
    for (;;) {
        if (muc_fd_ >= 0 && upstream_fd_ < 0) connect_upstream();
        pollfd fds[4] = {{wake_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}, {-1, 0, 0}, {-1, 0, 0}};
        if (upstream_fd_ >= 0) {
            fds[2] = {muc_fd_, POLLIN, 0};
            fds[3] = {upstream_fd_, POLLIN, 0};
        }
        int timeout = (muc_fd_ >= 0 && upstream_fd_ < 0) ? kRetryMs : -1;
        if (::poll(fds, 4, timeout) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (fds[0].revents != 0) return;
        if (fds[1].revents & POLLIN) {
            int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd >= 0) {
                close_pair();  // mu-conference has one connection: a new one replaces it
                muc_fd_ = fd;
                continue;
            }
        }
        if (fds[2].revents != 0 && !relay_up()) {
            close_pair();
            continue;
        }
        if (fds[3].revents != 0 && !relay_down()) close_pair();
    }
}

}  // namespace rig
