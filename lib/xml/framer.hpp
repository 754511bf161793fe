// Splits one direction of an XMPP stream (RFC 6120 §4) into its units: the stream header,
// top-level elements (stanzas, <handshake/>, <stream:error/>), whitespace keepalives and the
// closing tag. Each unit is handed on with its exact raw bytes as soon as its last byte has
// been fed, so a relay can forward it untouched.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "xml/element_view.hpp"

namespace xml {

// The stream errors a framer can find (RFC 6120 §4.9.3); the relay turns them into
// <stream:error/> elements.
enum class FrameErrorKind {
    none,
    not_well_formed,   // §4.9.3.13
    restricted_xml,    // §4.9.3.18: DTD, comment, processing instruction, undeclared entity
    policy_violation,  // §4.9.3.14: a unit over the size limit
};

struct FrameError {
    FrameErrorKind kind = FrameErrorKind::none;
    std::string text;  // for logs and the stream error's <text/>
};

std::string_view condition_name(FrameErrorKind kind);

class FrameSink {
  public:
    virtual ~FrameSink() = default;
    // `raw` runs from the first byte of the stream (XML declaration included) to the end of
    // the header's start tag.
    virtual void on_stream_open(const ElementView& header, std::string_view raw) = 0;
    virtual void on_stanza(const ElementView& top, std::string_view raw) = 0;
    virtual void on_whitespace(std::string_view raw) = 0;
    virtual void on_stream_close(std::string_view raw) = 0;
};

struct FramerLimits {
    // Bytes of one unit not yet handed on (a stanza, or the stream header) before the
    // stream is refused with <policy-violation/>.
    std::size_t max_unit_bytes = 1024 * 1024;
};

// Stanzas are framed by a hand-written scanner (stanza_scanner.hpp) that hands anything it is
// unsure of to expat, the authority on every verdict; expat alone is the reference the
// scanner is tested against.
enum class FramingPath { scanner_first, expat_only };

// A MUC sends each occupant the same message but for `to`. With `compared`, a stanza that is
// the one before it but for its `to` value is compared with it rather than scanned (the
// value alone is checked); the last stanza is kept for that. `scanned` keeps nothing, for a
// stream that carries no broadcasts (the server's).
enum class Repeats { compared, scanned };

class Framer {
  public:
    Framer(FrameSink& sink, FramerLimits limits, FramingPath path = FramingPath::scanner_first,
           Repeats repeats = Repeats::compared);
    ~Framer();
    Framer(const Framer&) = delete;
    Framer& operator=(const Framer&) = delete;

    // Feeds the next bytes. Every unit completed by them reaches the sink before this
    // returns (unless the sink pauses), including those before an error in the same chunk.
    // Returns false on error (see error()); the framer then accepts nothing more.
    bool feed(std::string_view bytes);

    // From inside a sink callback: no unit after the current one is reported until resume();
    // the bytes not yet framed are kept, in order. Lets a relay stop handling a read whose
    // output it cannot queue yet. Bytes fed while paused are kept behind them.
    void pause();
    // Frames the kept bytes, as feed() would have; same return value. May pause again.
    bool resume();
    bool paused() const { return paused_; }

    // Ends parsing from inside a sink callback: no more units are reported.
    void stop();

    const FrameError& error() const { return error_; }
    bool stopped() const { return stopped_; }

    // Bytes held for a unit not yet complete (for tests and memory accounting).
    std::size_t pending_bytes() const;
    // Stanzas the scanner framed without expat (for tests).
    std::size_t stanzas_scanned() const;
    // Of those, the ones taken as the stanza before them with another `to` (for tests).
    std::size_t stanzas_repeated() const;

  private:
    struct Parser;
    friend struct Parser;

    void fail(FrameErrorKind kind, std::string text);
    bool frame_held();

    FrameSink& sink_;
    FramerLimits limits_;
    std::unique_ptr<Parser> parser_;
    FrameError error_;
    bool stopped_ = false;
    bool paused_ = false;
};

}  // namespace xml
