// Runs a captured component session through a filter chain without sockets, as a link would:
// the same framing, the header and handshake passed untouched, every stanza after the
// server's <handshake/> through the chain, a batch end after every chunk. Reports what the
// chain decided, in the order the wire would see it: injected, rewritten and dropped stanzas,
// the points where the state must be durable before anything more is written (persist), a
// stanza forwarded as it was after such a point (what waited for the commit), and the notes.
#pragma once

#include <string>
#include <vector>

#include "replay/capture_file.hpp"
#include "xmpp/filter_chain.hpp"

namespace replay {

struct Change {
    enum class Kind { inject, rewrite, drop, persist, forward, note };
    Kind kind;
    xmpp::Direction direction;
    // The injected, rewritten, dropped or forwarded stanza; for persist, the fallback written
    // instead of what follows should the commit fail (may be empty); for note, the line.
    std::string bytes;
    double t;
};

std::string_view kind_name(Change::Kind kind);

struct ReplayResult {
    std::vector<Change> changes;
    std::string output[2];  // what each direction's receiver would have got, by Direction
    std::string error;      // a framing error in the capture, if any
};

ReplayResult replay_capture(const std::vector<Chunk>& chunks, xmpp::FilterChain& chain);

}  // namespace replay
