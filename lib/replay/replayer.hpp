// Runs a captured component session through a filter chain without sockets, as a link would:
// the same framing, the header and handshake passed untouched, every stanza after the
// server's <handshake/> through the chain, a batch end after every chunk. Reports what the
// chain changed: injected, rewritten and dropped stanzas, in the order they happened.
#pragma once

#include <string>
#include <vector>

#include "replay/capture_file.hpp"
#include "xmpp/filter_chain.hpp"

namespace replay {

struct Change {
    enum class Kind { inject, rewrite, drop };
    Kind kind;
    xmpp::Direction direction;
    std::string bytes;  // the injected or rewritten stanza, or the dropped one
    double t;
};

std::string_view kind_name(Change::Kind kind);

struct ReplayResult {
    std::vector<Change> changes;
    std::string output[2];  // what each direction's receiver would have got, by Direction
    std::vector<std::string> notes;
    std::string error;  // a framing error in the capture, if any
};

ReplayResult replay_capture(const std::vector<Chunk>& chunks, xmpp::FilterChain& chain);

}  // namespace replay
