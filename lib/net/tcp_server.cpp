#include "net/tcp_server.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace net {
namespace {

// The system's default (the kernel caps it at net.core.somaxconn): a burst of connections,
// e.g. every MUC reconnecting or many scrapers at once, waits in the queue instead of being
// refused.
constexpr int kBacklog = SOMAXCONN;

}  // namespace

bool resolve_listen_address(const std::string& host, std::uint16_t port, sockaddr_storage& out,
                            std::string& error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* result = nullptr;
    const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &result);
    if (rc != 0 || result == nullptr) {
        error = "cannot resolve '" + host + "': " + gai_strerror(rc);
        return false;
    }
    std::memcpy(&out, result->ai_addr, result->ai_addrlen);
    freeaddrinfo(result);
    return true;
}

int bind_and_listen(uv_tcp_t& server, const sockaddr* address, uv_connection_cb on_connection) {
    const int rc = uv_tcp_bind(&server, address, 0);
    if (rc != 0) return rc;
    return uv_listen(reinterpret_cast<uv_stream_t*>(&server), kBacklog, on_connection);
}

std::uint16_t bound_port(const uv_tcp_t& server) {
    sockaddr_storage address{};
    int length = sizeof address;
    if (uv_tcp_getsockname(&server, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
    if (address.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
}

}  // namespace net
