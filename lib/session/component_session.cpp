#include "session/component_session.hpp"

#include "xmpp/jid.hpp"
#include "xmpp/stream_text.hpp"

namespace session {

// Counted as written, not as decided: a commit that fails drops what depended on it.
inline void ComponentSession::write_now(const Write& write) {
    if (write.unit != Unit::stream) {
        if (write.to == Side::server) {
            LinkCounters::add(counters_.stanzas_to_server, 1);
            LinkCounters::add(counters_.bytes_to_server, write.size());
        } else {
            LinkCounters::add(counters_.stanzas_to_component, 1);
            LinkCounters::add(counters_.bytes_to_component, write.size());
        }
    }
    actions_.write(write);
}

std::optional<std::string_view> ComponentSession::known_recipient(std::string_view bytes) const {
    if (bytes.data() != stanza_raw_.data() || bytes.size() != stanza_raw_.size() ||
        !stanza_to_.known())
        return std::nullopt;
    return bytes.substr(stanza_to_.offset, stanza_to_.length);
}

inline void ComponentSession::send(Write write) {
    // After the end only held output still goes out: nothing new is decided. Nothing is
    // decided for a side after its closing tag (what was decided before may still be held).
    if (ended_ || peer(write.to).stream_closed) return;
    // What depends on a commit waits for it, and so does what must not overtake it; the rest
    // (nearly always everything: a fan-out's copies) goes out at once.
    if (held_.holding()) [[unlikely]] {
        if (write.in_pieces()) {
            // Held output is kept whole.
            copy_scratch_.clear();
            write.append_to(copy_scratch_);
            write = Write{write.to, copy_scratch_, write.unit, write.after_persist};
        }
        const std::optional<std::string_view> recipient = known_recipient(write.bytes);
        if (write.after_persist || held_.must_wait(write, recipient)) {
            held_.hold(write, recipient);
            return;
        }
    }
    write_now(write);
}

inline void ComponentSession::send(Side to, std::string_view bytes, Unit unit) {
    send(Write{to, bytes, unit, after_persist_});
}

ComponentSession::Peer::Peer(ComponentSession& owner, Side which, std::size_t max_stanza_bytes)
    : session(owner),
      side(which),
      // Broadcasts come from the MUC: only its stream is worth comparing stanzas in.
      framer(*this, xml::FramerLimits{.max_unit_bytes = max_stanza_bytes},
             xml::FramingPath::scanner_first,
             which == Side::component ? xml::Repeats::compared : xml::Repeats::scanned) {}

void ComponentSession::Peer::on_stream_open(const xml::ElementView& header, std::string_view raw) {
    session.on_stream_open(*this, header, raw);
}

void ComponentSession::Peer::on_stanza(const xml::ElementView& top, std::string_view raw) {
    session.on_stanza(*this, top, raw);
    // A stanza's output (a broadcast's copies too) counts against the high watermark as soon
    // as it is queued: past it, the rest of the read waits here, unhandled, so one read cannot
    // queue its whole fan-out at once.
    if (!session.ended_ && session.actions_.over_high_watermark()) framer.pause();
}

void ComponentSession::Peer::on_whitespace(std::string_view raw) {
    session.send(other(side), raw, Unit::stream);
}

void ComponentSession::Peer::on_stream_close(std::string_view raw) {
    session.log(LogLevel::debug, std::string(side_name(side)) + " closed its stream");
    session.send(other(side), raw, Unit::stream);
    session.peer(other(side)).stream_closed = true;
}

ComponentSession::ComponentSession(SessionRules rules, std::unique_ptr<xmpp::FilterChain> chain,
                                   SessionActions& actions, LinkCounters& counters)
    : rules_(std::move(rules)),
      chain_(std::move(chain)),
      actions_(actions),
      counters_(counters),
      component_(*this, Side::component, rules_.max_stanza_bytes),
      server_(*this, Side::server, rules_.max_stanza_bytes) {}

ComponentSession::~ComponentSession() = default;

bool ComponentSession::input_kept() const {
    return component_.framer.paused() || server_.framer.paused();
}

void ComponentSession::feed(Side from, std::string_view bytes, xmpp::Moment now) {
    if (ended_) return;
    now_ = now;
    Peer& source = peer(from);
    after_framed(source, source.framer.feed(bytes));
}

void ComponentSession::prepare_ahead() {
    if (!ended_) chain_->prepare_ahead();
}

bool ComponentSession::resume_input(xmpp::Moment now) {
    now_ = now;
    for (Peer* source : {&component_, &server_}) {
        if (source->framer.paused() && !ended_) after_framed(*source, source->framer.resume());
    }
    return !ended_ && !input_kept();
}

void ComponentSession::after_framed(Peer& from, bool framed) {
    if (!framed) {
        const xml::FrameError& error = from.framer.error();
        fail_stream(from, xml::condition_name(error.kind), error.text);
        return;
    }
    // A read handled in parts is one batch: it ends after the last part (a filter may hold a
    // broadcast's copies until then).
    if (from.framer.paused() || !authenticated_ || ended_ || chain_->empty()) return;
    held_.start_stanza();
    after_persist_ = false;
    chain_->end_batch(direction_from(from.side), now_, *this);
    held_.start_stanza();
    after_persist_ = false;
}

void ComponentSession::on_stream_open(Peer& from, const xml::ElementView& header,
                                      std::string_view raw) {
    if (header.name.local != "stream" || header.name.ns != xmpp::kStreamsNs) {
        fail_stream(from, "invalid-namespace", "the stream header is not <stream:stream/>");
        return;
    }
    if (from.side == Side::component) {
        std::string_view to = header.attribute("to");
        std::optional<std::string> domain = xmpp::prepare_domain(to);
        if (!domain || *domain != rules_.domain) {
            // Quoted back only when short: it is the peer's text, going to the log too.
            const std::string asked =
                to.size() <= 64 ? "'" + std::string(to) + "'" : std::string("another domain");
            fail_stream(from, "host-unknown",
                        "the component asked for " + asked + ", this link serves " + rules_.domain);
            return;
        }
        if (!upstream_asked_) {
            upstream_asked_ = true;
            actions_.connect_upstream();
        }
    }
    Peer& to = peer(other(from.side));
    to.header_sent = true;
    to.header_prefix = header.name.prefix;
    send(to.side, raw, Unit::stream);
}

void ComponentSession::on_stanza(Peer& from, const xml::ElementView& top, std::string_view raw) {
    const xmpp::Direction direction = direction_from(from.side);
    if (top.name.local == "error" && top.name.ns == xmpp::kStreamsNs)
        on_peer_stream_error(from, top);
    if (authenticated_ && !chain_->empty()) {
        // A barrier's dependents are what this stanza's decisions emit after it, no more.
        held_.start_stanza();
        after_persist_ = false;
        forwarded_ = false;
        stanza_raw_ = raw;
        stanza_to_ = top.raw_attribute("to");
        chain_->run(direction, xmpp::Stanza{top, raw}, now_, *this);
        stanza_raw_ = {};
        if (!forwarded_) actions_.dropped(direction, raw);
        held_.start_stanza();
        after_persist_ = false;
        return;
    }
    send(receiver_of(direction), raw, Unit::relayed);
    if (!authenticated_ && from.side == Side::server && top.name.local == "handshake" &&
        top.name.ns == xmpp::kComponentAcceptNs) {
        on_authenticated();
    }
}

void ComponentSession::on_authenticated() {
    authenticated_ = true;
    counters_.sessions_authenticated++;
    counters_.components_connected++;
    actions_.handshake_accepted();
    log(LogLevel::info, "up: component " + rules_.domain + " authenticated with the server");
    if (!chain_->empty()) chain_->start_session(now_, *this);
}

// A peer's stream error is relayed like any stanza; the operator hears of it here.
void ComponentSession::on_peer_stream_error(Peer& from, const xml::ElementView& error) {
    std::string condition = "unknown";
    for (const auto& child : error.children()) {
        if (child.local != "text") {
            condition = child.local;
            break;
        }
    }
    ++counters_.peer_stream_errors_by_condition[{side_name(from.side), condition}];
    if (!authenticated_ && from.side == Side::server) {
        log(LogLevel::warn, "the server refused the component: <" + condition + "/>");
    } else {
        log(LogLevel::warn,
            std::string("the ") + side_name(from.side) + " sent stream error <" + condition + "/>");
    }
}

void ComponentSession::emit(xmpp::Direction direction, std::string_view bytes,
                            xmpp::Decision::Kind how) {
    Unit unit = Unit::added;
    if (how != xmpp::Decision::Kind::inject) {
        forwarded_ = true;
        unit = how == xmpp::Decision::Kind::forward ? Unit::relayed : Unit::rewritten;
    }
    send(receiver_of(direction), bytes, unit);
}

void ComponentSession::emit_copy(xmpp::Direction direction,
                                 const xmpp::Decisions::CopyPieces& copy) {
    send(Write{receiver_of(direction), copy.head, Unit::added, after_persist_, copy.member,
               copy.tail});
}

void ComponentSession::note(std::string_view line) {
    actions_.note(line);
}

void ComponentSession::persist(xmpp::Direction fallback_direction, std::string_view fallback) {
    if (!rules_.durable) return;
    after_persist_ = true;
    const Side fallback_to = receiver_of(fallback_direction);
    const std::uint64_t ticket = held_.add_barrier(fallback_to, fallback);
    // Last: a driver may answer at once.
    actions_.wait_durable(ticket, fallback_to, fallback);
}

void ComponentSession::record(const xmpp::StateRecord& change) {
    actions_.record(change);
}

void ComponentSession::durable(std::uint64_t ticket, bool ok) {
    held_.settle(ticket, ok);
    held_.release([this](const Write& write) {
        if (write.unit == Unit::fallback) {
            counters_.answers_not_durable.fetch_add(1, std::memory_order_relaxed);
            log(LogLevel::debug,
                "the state an answer depended on was not stored: sent the filter's error to the " +
                    std::string(side_name(write.to)) + " instead");
        }
        write_now(write);
    });
}

void ComponentSession::send_stream_error(Side to, std::string_view condition,
                                         std::string_view text) {
    Peer& receiver = peer(to);
    if (receiver.stream_closed) return;
    if (!receiver.header_sent) {
        // Only the component can be without a header: the proxy answers it as its server would.
        send(to,
             xmpp::server_stream_header(
                 rules_.domain, "muc-offline-proxy-" + std::to_string(rules_.session_number)),
             Unit::stream);
        receiver.header_sent = true;
        receiver.header_prefix = "stream";
    }
    send(to, xmpp::stream_error(condition, text), Unit::stream);
    close_stream(to);
    counters_.stream_errors_sent++;
    ++counters_.stream_errors_by_condition[{side_name(to), std::string(condition)}];
}

void ComponentSession::close_stream(Side to) {
    Peer& receiver = peer(to);
    if (!receiver.header_sent || receiver.stream_closed) return;
    send(to, xmpp::stream_close(receiver.header_prefix), Unit::stream);
    receiver.stream_closed = true;
}

void ComponentSession::fail_stream(Peer& offender, std::string_view condition,
                                   std::string_view text) {
    offender.framer.stop();
    send_stream_error(offender.side, condition, text);
    // The other side did nothing wrong: its stream is closed cleanly after what it is owed.
    close_stream(other(offender.side));
    end("stream error <" + std::string(condition) + "/> to the " + side_name(offender.side) + ": " +
            std::string(text),
        LogLevel::warn);
}

void ComponentSession::upstream_failed(std::string_view to_component, std::string_view to_log) {
    if (ended_) return;
    send_stream_error(Side::component, "remote-connection-failed", to_component);
    end(to_log, LogLevel::error);
}

void ComponentSession::timed_out(std::string_view what) {
    if (ended_) return;
    send_stream_error(Side::component, "connection-timeout", std::string(what) + " timed out");
    close_stream(Side::server);
    end(std::string(what) + " did not complete in time (the component got <connection-timeout/>)",
        LogLevel::warn);
}

void ComponentSession::shut_down() {
    if (ended_) return;
    send_stream_error(Side::component, "system-shutdown", "the proxy is shutting down");
    close_stream(Side::server);
    end("proxy shutting down");
}

void ComponentSession::peer_closed(Side side, std::string_view what) {
    end(std::string(side_name(side)) + " " + std::string(what));
}

void ComponentSession::write_failed(Side side, std::string_view what) {
    end(std::string("writing to the ") + side_name(side) + " failed: " + std::string(what));
}

void ComponentSession::end(std::string_view reason, LogLevel level) {
    if (ended_) return;
    component_.framer.stop();
    server_.framer.stop();
    // The filters hear of it before the end: what they decide still follows the rules.
    if (authenticated_ && !chain_->empty()) chain_->end_session(now_, *this);
    ended_ = true;
    if (authenticated_) counters_.components_connected--;
    log(level, "down: " + std::string(reason));
    actions_.ended();
}

}  // namespace session
