#pragma once

#include <netinet/in.h>
// Loopback TCP ports chosen at run time, so that runs never collide with each other or with
// anything else on the machine, and a check that something listens on one.
#include <cstdint>

#include "deadline.hpp"

namespace rig {

// 127.0.0.1:port as a socket address.
sockaddr_in loopback_address(std::uint16_t port);

// A port on 127.0.0.1 that was free a moment ago: the kernel picks it (bind to port 0), we
// read it back and close. Never the same port twice in one run of the rig.
std::uint16_t pick_free_port();

// Whether a socket listens on `port` on 127.0.0.1 (or on every address). Read from
// /proc/net/tcp{,6} rather than by connecting, so that probing the proxy or the relay does
// not open a component connection that nobody asked for; falls back to connect() where
// /proc is not readable.
bool is_listening(std::uint16_t port);

// Polls is_listening() until it holds or the deadline passes.
bool wait_until_listening(std::uint16_t port, Deadline deadline);

}  // namespace rig
