// Runs a captured component session through a filter chain without sockets, on the same
// session core a link runs (session::ComponentSession): the same framing, the header and
// handshake passed untouched, every stanza after the server's <handshake/> through the chain, a
// batch end after every chunk. The store is taken to be durable at once. Reports what the
// chain decided, in the order the wire sees it: injected, rewritten and dropped stanzas, the
// points where the state must be durable before what follows is written (persist), a stanza
// forwarded as it was after such a point (what waited for the commit), and the notes.
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
    std::string error;      // why the session ended early (a framing error in the capture)
};

// What a link's config says of the session: the domain the MUC must ask for, the stanza limit.
struct ReplayLink {
    std::string domain;
    std::size_t max_stanza_bytes = 1024 * 1024;
};

ReplayResult replay_capture(const std::vector<Chunk>& chunks, const ReplayLink& link,
                            std::unique_ptr<xmpp::FilterChain> chain);

}  // namespace replay
