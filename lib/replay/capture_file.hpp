// Reads a capture (JSON Lines, one record per chunk read on the component link; see
// tests/replay/captures/README.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "xmpp/stanza_filter.hpp"

namespace replay {

struct Chunk {
    double t = 0;  // seconds since the relay started
    xmpp::Direction direction = xmpp::Direction::to_server;
    std::string data;
};

// Loads the chunks of one component session. Records written by the proxy carry "link" and
// "session"; only the first session found is loaded. On failure `error` says which line.
std::optional<std::vector<Chunk>> load_capture(const std::string& path, std::string& error);

}  // namespace replay
