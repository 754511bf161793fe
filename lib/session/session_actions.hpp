// What a component session core asks of whatever drives it: the sockets of lib/net, or replay.
// The core decides; the driver writes, connects, waits for the store and logs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "xmpp/stanza_filter.hpp"

namespace session {

// The two peers of a component session: the MUC, and the XMPP server the proxy connects to.
enum class Side { component, server };

inline Side other(Side side) {
    return side == Side::component ? Side::server : Side::component;
}
// Where what a side sends goes.
inline xmpp::Direction direction_from(Side side) {
    return side == Side::component ? xmpp::Direction::to_server : xmpp::Direction::to_component;
}
inline Side receiver_of(xmpp::Direction direction) {
    return direction == xmpp::Direction::to_server ? Side::server : Side::component;
}
inline const char* side_name(Side side) {
    return side == Side::component ? "component" : "server";
}

enum class LogLevel { debug, info, warn, error };

// What a write carries.
enum class Unit {
    stream,     // the header, whitespace, a closing tag or a stream error: not a stanza
    relayed,    // a stanza as it was received
    rewritten,  // a stanza the filters changed
    added,      // a stanza the filters injected
    fallback,   // the answer written instead of what depended on a commit that failed
};

struct Write {
    Side to;
    std::string_view bytes;
    Unit unit;
    // Decided after a persist by the same stanza: it depends on that commit.
    bool after_persist = false;
    // A fan-out copy comes in three pieces (xmpp::Decisions::CopyPieces), written one after the
    // other: `bytes` (its stanza up to the `to` value), `member`, `tail`; nothing is joined
    // first. Empty otherwise.
    std::string_view member{};
    std::string_view tail{};

    bool in_pieces() const { return !member.empty() || !tail.empty(); }
    std::size_t size() const { return bytes.size() + member.size() + tail.size(); }
    void append_to(std::string& out) const {
        xmpp::Decisions::CopyPieces{bytes, member, tail}.append_to(out);
    }
};

class SessionActions {
  public:
    virtual ~SessionActions() = default;
    // Queues bytes for a side, in order. Called in the order the wire must see.
    virtual void write(const Write& write) = 0;
    // The MUC asked for this link's domain: open the connection to the server.
    virtual void connect_upstream() = 0;
    // The server accepted the component's handshake.
    virtual void handshake_accepted() = 0;
    // Everything recorded so far must be durable before the held output goes out: call
    // ComponentSession::durable(ticket, ok) once it is (or its commit failed). `fallback` is
    // what goes to `fallback_to` instead of what depends on the commit, should it fail.
    virtual void wait_durable(std::uint64_t ticket, Side fallback_to,
                              std::string_view fallback) = 0;
    // Asked after every stanza: true stops handling the rest of the read until
    // ComponentSession::resume_input().
    virtual bool over_high_watermark() = 0;
    // A line about this session.
    virtual void log(LogLevel level, std::string_view line) = 0;
    // A filter's line about the link (a member registered, a member paused).
    virtual void note(std::string_view line) = 0;
    // A change of a filter's state to make durable; a later wait_durable covers it.
    virtual void record(const xmpp::StateRecord& change) { (void)change; }
    // A stanza the filters neither forwarded nor rewrote.
    virtual void dropped(xmpp::Direction direction, std::string_view raw) {
        (void)direction;
        (void)raw;
    }
    // The session is over: read nothing more, and close each side once what it is owed has
    // been written (ComponentSession::holding() says whether more may still come).
    virtual void ended() = 0;
};

}  // namespace session
