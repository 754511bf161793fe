// One XEP-0114 component session without I/O: bytes in per side, actions out. Frames both
// directions, relays the stream header and <handshake/> untouched (the secret never passes
// through the proxy's config), refuses a stream for another domain with <host-unknown/>, then
// runs every stanza through the filter chain and carries out its decisions in order, holding
// what a `persist` makes wait. Owns the rules for stream errors and closing tags. lib/net drives
// it with sockets and timers; lib/replay drives it with a capture.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "session/held_output.hpp"
#include "session/link_counters.hpp"
#include "session/session_actions.hpp"
#include "xml/element_view.hpp"
#include "xml/framer.hpp"
#include "xmpp/filter_chain.hpp"

namespace session {

struct SessionRules {
    std::string domain;  // the component's domain this link serves, prepared
    std::size_t max_stanza_bytes = 1024 * 1024;
    unsigned session_number = 0;  // in the stream id when the proxy answers the MUC itself
    // Whether persist decisions wait for the driver's durability; without a store they cost
    // nothing.
    bool durable = false;
};

class ComponentSession : private xmpp::StanzaOutput {
  public:
    ComponentSession(SessionRules rules, std::unique_ptr<xmpp::FilterChain> chain,
                     SessionActions& actions, LinkCounters& counters);
    ~ComponentSession() override;
    ComponentSession(const ComponentSession&) = delete;
    ComponentSession& operator=(const ComponentSession&) = delete;

    // Bytes a side sent. Everything they complete is handled before this returns, unless
    // the driver's watermark stopped it: then the rest waits for resume_input().
    void feed(Side from, std::string_view bytes, xmpp::Moment now);
    // Handles what was kept at a pause; true once nothing is kept.
    bool resume_input(xmpp::Moment now);
    // The answer to wait_durable(ticket).
    void durable(std::uint64_t ticket, bool ok);
    // The driver has handed the output of every read so far to the sockets: the filters make
    // ready what later stanzas will need (StanzaFilter::prepare_ahead).
    void prepare_ahead();

    // Events the driver saw. Each ends the session (once), with what each side is owed.
    void upstream_failed(std::string_view to_component, std::string_view to_log);
    void timed_out(std::string_view what);
    void shut_down();
    void peer_closed(Side side, std::string_view what);
    void write_failed(Side side, std::string_view what);
    void end(std::string_view reason, LogLevel level = LogLevel::info);

    bool authenticated() const { return authenticated_; }
    bool ended() const { return ended_; }
    // Output waits for a commit: a side should not be closed yet.
    bool holding() const { return held_.holding(); }
    std::size_t held_bytes() const { return held_.bytes(); }
    bool input_kept() const;

  private:
    struct Peer : xml::FrameSink {
        ComponentSession& session;
        Side side;
        xml::Framer framer;
        // The stream header this side was sent (by the other side, or by the proxy itself): its
        // prefix is needed to write a matching closing tag.
        bool header_sent = false;
        std::string header_prefix;
        bool stream_closed = false;  // its closing tag is written: nothing more goes to it

        Peer(ComponentSession& owner, Side which, std::size_t max_stanza_bytes);
        void on_stream_open(const xml::ElementView& header, std::string_view raw) override;
        void on_stanza(const xml::ElementView& top, std::string_view raw) override;
        void on_whitespace(std::string_view raw) override;
        void on_stream_close(std::string_view raw) override;
    };

    Peer& peer(Side side) { return side == Side::component ? component_ : server_; }

    void after_framed(Peer& from, bool framed);
    void on_stream_open(Peer& from, const xml::ElementView& header, std::string_view raw);
    void on_stanza(Peer& from, const xml::ElementView& top, std::string_view raw);
    void on_peer_stream_error(Peer& from, const xml::ElementView& error);
    void on_authenticated();

    // StanzaOutput: where the filter chain's decisions go.
    void emit(xmpp::Direction direction, std::string_view bytes, xmpp::Decision::Kind how) override;
    void emit_copy(xmpp::Direction direction, const xmpp::Decisions::CopyPieces& copy) override;
    void note(std::string_view line) override;
    void persist(xmpp::Direction fallback_direction, std::string_view fallback) override;
    void record(const xmpp::StateRecord& change) override;

    // Every stanza and copy goes through these two: inlined into their callers.
    [[gnu::always_inline]] inline void send(Write write);
    [[gnu::always_inline]] inline void send(Side to, std::string_view bytes, Unit unit);
    // The recipient of `bytes` when they are the stanza being run and the scanner found its `to`.
    std::optional<std::string_view> known_recipient(std::string_view bytes) const;
    [[gnu::always_inline]] inline void write_now(const Write& write);
    void send_stream_error(Side to, std::string_view condition, std::string_view text);
    void close_stream(Side to);
    void fail_stream(Peer& offender, std::string_view condition, std::string_view text);
    void log(LogLevel level, std::string_view line) { actions_.log(level, line); }

    SessionRules rules_;
    std::unique_ptr<xmpp::FilterChain> chain_;
    SessionActions& actions_;
    LinkCounters& counters_;
    Peer component_;
    Peer server_;
    HeldOutput held_;
    xmpp::Moment now_{0};
    bool authenticated_ = false;
    bool upstream_asked_ = false;
    bool ended_ = false;
    bool after_persist_ = false;  // the stanza being run asked for a persist
    bool forwarded_ = false;      // the stanza being run was forwarded or rewritten
    // The stanza being run and where its `to` is (when the scanner said): forwarding it while
    // output is held needs its recipient, without scanning its start tag again.
    std::string_view stanza_raw_;
    xml::RawSpan stanza_to_;
    std::string copy_scratch_;  // a copy in pieces joined, only while output is held
};

}  // namespace session
