// The two steps every listening socket of the proxy takes (a link's listener, the metrics
// endpoint), in one place.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <string>

namespace net {

// Resolves a listen address (host name or literal) into `out`; on failure `error` says why.
// A blocking lookup: for start-up and reload, not for the hot path.
bool resolve_listen_address(const std::string& host, std::uint16_t port, sockaddr_storage& out,
                            std::string& error);

// Binds `server` (already uv_tcp_init'ed) to `address` and listens; libuv's error code or 0.
int bind_and_listen(uv_tcp_t& server, const sockaddr* address, uv_connection_cb on_connection);

// The port the kernel gave `server` (useful when the config asked for port 0); 0 if unknown.
std::uint16_t bound_port(const uv_tcp_t& server);

}  // namespace net
