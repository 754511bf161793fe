#include "net/session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "net/session_side.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/stream_text.hpp"

namespace net {

Session::Session(uv_loop_t* loop, SessionEnvironment environment,
                 std::unique_ptr<xmpp::FilterChain> chain, unsigned session)
    : loop_(loop), env_(std::move(environment)), chain_(std::move(chain)), session_(session) {
    const std::size_t max_stanza = env_.config->limits.max_stanza_bytes;
    component_ = std::make_unique<Side>(*this, SideKind::component, max_stanza);
    server_ = std::make_unique<Side>(*this, SideKind::server, max_stanza);
    uv_tcp_init(loop_, &component_->tcp);
    component_->handle_open = true;
    ++outstanding_;
    // Until the server's socket is connected, what is relayed to it waits in its queue.
    server_->out.hold(true);
    for (uv_timer_t* timer : {&handshake_timer_, &connect_timer_}) {
        uv_timer_init(loop_, timer);
        timer->data = this;
        ++outstanding_;
    }
    env_.counters->sessions_accepted++;
    env_.counters->sessions_active++;
}

Session::~Session() {
    env_.counters->sessions_active--;
    if (authenticated_) env_.counters->components_connected--;
}

std::size_t Session::queued_bytes() const {
    return component_->out.bytes() + server_->out.bytes() + held_bytes_;
}

std::size_t Session::largest_queue() const {
    return std::max(component_->out.bytes(), server_->out.bytes()) + held_bytes_;
}

uv_stream_t* Session::component_stream() {
    return component_->stream();
}

Session::Side& Session::other(Side& side) {
    return side.kind == SideKind::component ? *server_ : *component_;
}

xmpp::Direction Session::direction_from(const Side& side) const {
    return side.kind == SideKind::component ? xmpp::Direction::to_server
                                            : xmpp::Direction::to_component;
}

const char* Session::name_of(const Side& side) const {
    return side.kind == SideKind::component ? "component" : "server";
}

xmpp::Moment Session::now() const {
    return xmpp::Moment(static_cast<long long>((uv_hrtime() - env_.proxy_start_ns) / 1000));
}

void Session::start() {
    component_->connected = true;
    uv_tcp_nodelay(&component_->tcp, 1);
    component_->start_reading();
    uv_timer_start(
        &handshake_timer_,
        [](uv_timer_t* timer) { static_cast<Session*>(timer->data)->on_timeout("handshake"); },
        env_.config->limits.handshake_timeout_ms, 0);
}

void Session::abandon() {
    finish("the connection could not be accepted");
}

void Session::on_read(Side& side, ssize_t nread) {
    if (nread == 0) return;
    if (nread < 0) {
        side.stop_reading();
        if (nread != UV_EOF) side.broken = true;
        std::string what = nread == UV_EOF ? "closed the connection"
                                           : std::string("connection failed: ") +
                                                 uv_strerror(static_cast<int>(nread));
        finish(std::string(name_of(side)) + " " + what);
        return;
    }
    std::string_view bytes(side.read_buffer.get(), static_cast<std::size_t>(nread));
    if (env_.capture != nullptr && env_.capture->enabled()) {
        double seconds = static_cast<double>(uv_hrtime() - env_.proxy_start_ns) / 1e9;
        std::string_view whole = side.capture_carry.complete(bytes);
        if (!whole.empty()) {
            env_.capture->record(seconds, direction_from(side), env_.config->name, session_, whole);
            env_.capture->flush();
        }
    }
    handle_framed(side, side.framer.feed(bytes));
    after_input();
}

void Session::handle_framed(Side& side, bool framed) {
    if (!framed) {
        const xml::FrameError& error = side.framer.error();
        fail_stream(side, xml::condition_name(error.kind), error.text);
        return;
    }
    // A read handled in parts is one batch: it ends after the last part (a filter may hold a
    // broadcast's copies until then).
    if (!side.framer.paused() && authenticated_ && !chain_->empty()) {
        stanza_barrier_ = 0;
        chain_->end_batch(direction_from(side), now(), *this);
        stanza_barrier_ = 0;
    }
}

// A stanza's output (a broadcast's copies too) counts against the high watermark as soon as
// it is queued: past it, the rest of the read waits in the framer, unhandled, until the queues
// drain, so one read cannot queue its whole fan-out at once.
void Session::keep_rest_if_over_watermark(Side& side) {
    const std::size_t largest = largest_queue();
    env_.counters->note_queue(largest);
    if (largest > env_.config->limits.write_queue_high_bytes) side.framer.pause();
}

void Session::after_input() {
    component_->out.flush();
    server_->out.flush();
    update_backpressure();
}

void Session::on_stream_open(Side& side, const xml::ElementView& header, std::string_view raw) {
    if (header.name.local != "stream" || header.name.ns != xmpp::kStreamsNs) {
        fail_stream(side, "invalid-namespace", "the stream header is not <stream:stream/>");
        return;
    }
    Side& peer = other(side);
    if (side.kind == SideKind::component) {
        std::string_view to = header.attribute("to");
        std::optional<std::string> domain = xmpp::prepare_domain(to);
        if (!domain || *domain != env_.config->domain) {
            // Quoted back only when short: it is the peer's text, going to the log too.
            const std::string asked =
                to.size() <= 64 ? "'" + std::string(to) + "'" : std::string("another domain");
            fail_stream(
                side, "host-unknown",
                "the component asked for " + asked + ", this link serves " + env_.config->domain);
            return;
        }
        connect_upstream();
    }
    peer.header_sent = true;
    peer.header_prefix = header.name.prefix;
    send(peer, raw);
}

void Session::on_stanza(Side& side, const xml::ElementView& top, std::string_view raw) {
    const xmpp::Direction direction = direction_from(side);
    if (top.name.local == "error" && top.name.ns == xmpp::kStreamsNs)
        on_peer_stream_error(side, top);
    if (authenticated_ && !chain_->empty()) {
        // A barrier's dependents are what this stanza's decisions emit after it, no more.
        stanza_barrier_ = 0;
        chain_->run(direction, xmpp::Stanza{top, raw}, now(), *this);
        stanza_barrier_ = 0;
        return;
    }
    if (!authenticated_ && side.kind == SideKind::server) {
        if (top.name.local == "handshake" && top.name.ns == xmpp::kComponentAcceptNs) {
            authenticated_ = true;
            uv_timer_stop(&handshake_timer_);
            env_.counters->sessions_authenticated++;
            env_.counters->components_connected++;
            spdlog::info("link {}: session {}: up: component {} authenticated with the server",
                         env_.config->name, session_, env_.config->domain);
        }
    }
    emit(direction, raw);
}

// A peer's stream error is relayed like any stanza; the operator hears of it here.
void Session::on_peer_stream_error(Side& side, const xml::ElementView& error) {
    std::string condition = "unknown";
    for (const auto& child : error.children()) {
        if (child.local != "text") {
            condition = child.local;
            break;
        }
    }
    ++env_.counters->peer_stream_errors_by_condition[{name_of(side), condition}];
    if (!authenticated_ && side.kind == SideKind::server) {
        spdlog::warn("link {}: session {}: the server refused the component: <{}/>",
                     env_.config->name, session_, condition);
    } else {
        spdlog::warn("link {}: session {}: the {} sent stream error <{}/>", env_.config->name,
                     session_, name_of(side), condition);
    }
}

void Session::on_whitespace(Side& side, std::string_view raw) {
    send(other(side), raw);
}

void Session::on_stream_close(Side& side, std::string_view raw) {
    spdlog::debug("link {}: session {}: {} closed its stream", env_.config->name, session_,
                  name_of(side));
    send(other(side), raw);
}

void Session::emit(xmpp::Direction direction, std::string_view bytes, xmpp::Decision::Kind how) {
    // Stanzas carry messages and forms: only in the log when the operator turned it on.
    if (env_.log_stanzas != nullptr && *env_.log_stanzas) {
        const char* what = how == xmpp::Decision::Kind::inject              ? "added"
                           : how == xmpp::Decision::Kind::forward_rewritten ? "rewritten"
                                                                            : "relayed";
        spdlog::info("link {}: session {}: {} to the {}: {}", env_.config->name, session_, what,
                     direction == xmpp::Direction::to_server ? "server" : "component", bytes);
    }
    if (direction == xmpp::Direction::to_server) {
        env_.counters->stanzas_to_server.fetch_add(1, std::memory_order_relaxed);
        env_.counters->bytes_to_server.fetch_add(bytes.size(), std::memory_order_relaxed);
        send(*server_, bytes);
    } else {
        env_.counters->stanzas_to_component.fetch_add(1, std::memory_order_relaxed);
        env_.counters->bytes_to_component.fetch_add(bytes.size(), std::memory_order_relaxed);
        send(*component_, bytes);
    }
}

void Session::note(std::string_view line) {
    spdlog::info("link {}: {}", env_.config->name, line);
}

void Session::send_stream_error(Side& to, std::string_view condition, std::string_view text) {
    if (to.closing) return;
    if (!to.header_sent) {
        // Only the component can be without a header: the proxy answers it as its server would.
        to.out.append(xmpp::server_stream_header(env_.config->domain,
                                                 "muc-offline-proxy-" + std::to_string(session_)));
        to.header_sent = true;
        to.header_prefix = "stream";
    }
    to.out.append(xmpp::stream_error(condition, text));
    to.out.append(xmpp::stream_close(to.header_prefix));
    env_.counters->stream_errors_sent++;
    ++env_.counters->stream_errors_by_condition[{name_of(to), std::string(condition)}];
}

void Session::fail_stream(Side& offender, std::string_view condition, std::string_view text) {
    offender.framer.stop();
    if (offender.kind == SideKind::server || offender.connected)
        send_stream_error(offender, condition, text);
    Side& peer = other(offender);
    // The other side did nothing wrong: its stream is closed cleanly after what it is owed.
    if (peer.header_sent && !peer.closing) peer.out.append(xmpp::stream_close(peer.header_prefix));
    finish("stream error <" + std::string(condition) + "/> to the " + name_of(offender) + ": " +
               std::string(text),
           spdlog::level::warn);
}

void Session::on_timeout(const char* what) {
    send_stream_error(*component_, "connection-timeout", std::string(what) + " timed out");
    if (server_->header_sent && !server_->closing)
        server_->out.append(xmpp::stream_close(server_->header_prefix));
    finish(std::string(what) +
               " did not complete in time (the component got "
               "<connection-timeout/>)",
           spdlog::level::warn);
    after_input();
}

void Session::on_written(Side& side, int status) {
    if (status != 0) {
        side.broken = true;
        side.closing = true;
        if (!finishing_) {
            finish(std::string("writing to the ") + name_of(side) +
                   " failed: " + uv_strerror(status));
        }
        close_side(side);
        return;
    }
    // Writes are bounded: what is still queued goes next, before a closing side closes.
    side.out.flush();
    if (side.closing) {
        close_side(side);
        return;
    }
    update_backpressure();
}

void Session::update_backpressure() {
    if (finishing_ || resuming_input_) return;
    const config::Limits& limits = env_.config->limits;
    const std::size_t largest = largest_queue();
    env_.counters->note_queue(largest);
    // Reading either side can add to either queue (forwarded stanzas one way, answers the
    // other), so both sides pause together: memory stays bounded whichever peer stalls.
    if (!paused_ && largest > limits.write_queue_high_bytes) {
        paused_ = true;
        env_.counters->read_pauses++;
        component_->stop_reading();
        server_->stop_reading();
        spdlog::debug("link {}: session {}: write queue at {} bytes, reading paused",
                      env_.config->name, session_, largest);
        return;
    }
    if (!paused_ || largest >= limits.write_queue_low_bytes) return;
    // What was read before the pause is handled before anything more is read.
    if (!resume_kept_input()) return;
    paused_ = false;
    component_->start_reading();
    server_->start_reading();
}

bool Session::resume_kept_input() {
    resuming_input_ = true;
    for (Side* side : {component_.get(), server_.get()}) {
        if (side->framer.paused() && !finishing_) handle_framed(*side, side->framer.resume());
    }
    resuming_input_ = false;
    if (finishing_) return false;
    component_->out.flush();
    server_->out.flush();
    // Over the high watermark again: the next drain resumes the rest.
    return !component_->framer.paused() && !server_->framer.paused();
}

void Session::shut_down() {
    if (finishing_) return;
    if (component_->connected) {
        send_stream_error(*component_, "system-shutdown", "the proxy is shutting down");
    }
    if (server_->connected && server_->header_sent)
        server_->out.append(xmpp::stream_close(server_->header_prefix));
    finish("proxy shutting down");
    after_input();
}

void Session::finish(const std::string& reason, spdlog::level::level_enum level) {
    if (finishing_) return;
    finishing_ = true;
    spdlog::log(level, "link {}: session {}: down: {}", env_.config->name, session_, reason);
    uv_timer_stop(&handshake_timer_);
    uv_timer_stop(&connect_timer_);
    component_->stop_reading();
    server_->stop_reading();
    component_->framer.stop();
    server_->framer.stop();
    // Each side is closed once what it is owed has been written (close_side waits for it).
    for (Side* side : {component_.get(), server_.get()}) {
        side->closing = true;
        side->out.flush();
        close_side(*side);
    }
    release();
}

void Session::close_now() {
    for (Side* side : {component_.get(), server_.get()}) {
        side->closing = true;
        if (side->handle_open && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&side->tcp)))
            uv_close(reinterpret_cast<uv_handle_t*>(&side->tcp), on_side_closed);
    }
    finish("closed at once");
}

void Session::close_side(Side& side) {
    if (!side.handle_open || uv_is_closing(reinterpret_cast<uv_handle_t*>(&side.tcp))) return;
    if (side.connected && !side.broken && !side.out.idle())
        return;  // on_written calls again once drained
    if (side.connected && !side.broken && !side.shutdown_started) {
        side.shutdown_started = true;
        auto* request = new uv_shutdown_t;
        request->data = &side;
        if (uv_shutdown(request, side.stream(), [](uv_shutdown_t* done, int) {
                auto* shut = static_cast<Side*>(done->data);
                delete done;
                if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&shut->tcp)))
                    uv_close(reinterpret_cast<uv_handle_t*>(&shut->tcp), on_side_closed);
            }) == 0) {
            return;
        }
        delete request;
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&side.tcp), on_side_closed);
}

// The one close callback of a side's socket, however the close came about.
void Session::on_side_closed(uv_handle_t* handle) {
    auto* closed = static_cast<Side*>(handle->data);
    closed->handle_open = false;
    --closed->session.outstanding_;
    closed->session.release();
}

void Session::release() {
    if (!finishing_) return;
    for (uv_timer_t* timer : {&handshake_timer_, &connect_timer_}) {
        auto* handle = reinterpret_cast<uv_handle_t*>(timer);
        if (!uv_is_closing(handle)) {
            uv_close(handle, [](uv_handle_t* closed) {
                auto* session = static_cast<Session*>(closed->data);
                --session->outstanding_;
                session->release();
            });
        }
    }
    if (outstanding_ == 0 && env_.on_finished) {
        auto done = std::move(env_.on_finished);
        env_.on_finished = nullptr;
        done(this);
    }
}

}  // namespace net
