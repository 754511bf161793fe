#include "net/tcp_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace net {
namespace {

constexpr int kBacklog = 16;

}  // namespace

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
