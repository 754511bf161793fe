// The two steps every listening socket of the proxy takes (a link's listener, the metrics
// endpoint), in one place.
#pragma once

#include <uv.h>

#include <cstdint>

namespace net {

// Binds `server` (already uv_tcp_init'ed) to `address` and listens; libuv's error code or 0.
int bind_and_listen(uv_tcp_t& server, const sockaddr* address, uv_connection_cb on_connection);

// The port the kernel gave `server` (useful when the config asked for port 0); 0 if unknown.
std::uint16_t bound_port(const uv_tcp_t& server);

}  // namespace net
