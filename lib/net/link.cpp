#include "net/link.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "xmpp/jid.hpp"
#include "xmpp/stream_text.hpp"

namespace net {
namespace {
constexpr std::size_t kReadBufferBytes = 64 * 1024;

std::string upstream_name(const config::Link& link) {
    return link.upstream.host + ":" + std::to_string(link.upstream.port);
}
}  // namespace

struct Link::Side : xml::FrameSink {
    Link& link;
    SideKind kind;
    uv_tcp_t tcp{};
    WriteQueue out;
    xml::Framer framer;
    std::unique_ptr<char[]> read_buffer{new char[kReadBufferBytes]};
    Utf8Carry capture_carry;
    bool handle_open = false;
    bool connected = false;
    bool reading = false;
    bool closing = false;
    bool shutdown_started = false;
    bool broken = false;  // a read or write failed: nothing more can be written
    // The stream header this side was sent (by the other side, or by the proxy itself): its
    // prefix is needed to write a matching closing tag.
    bool header_sent = false;
    std::string header_prefix;

    Side(Link& owner, SideKind side_kind, std::size_t max_stanza_bytes)
        : link(owner),
          kind(side_kind),
          out(reinterpret_cast<uv_stream_t*>(&tcp),
              [this](int status) { link.on_written(*this, status); }),
          framer(*this, xml::FramerLimits{.max_unit_bytes = max_stanza_bytes}) {
        tcp.data = this;
    }

    uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp); }

    void on_stream_open(const xml::ElementView& header, std::string_view raw) override {
        link.on_stream_open(*this, header, raw);
    }
    void on_stanza(const xml::ElementView& top, std::string_view raw) override {
        link.on_stanza(*this, top, raw);
        link.keep_rest_if_over_watermark(*this);
    }
    void on_whitespace(std::string_view raw) override { link.on_whitespace(*this, raw); }
    void on_stream_close(std::string_view raw) override { link.on_stream_close(*this, raw); }

    void start_reading() {
        if (reading || closing || !connected) return;
        reading = true;
        uv_read_start(
            stream(),
            [](uv_handle_t* handle, size_t, uv_buf_t* buf) {
                auto* side = static_cast<Side*>(handle->data);
                *buf = uv_buf_init(side->read_buffer.get(), kReadBufferBytes);
            },
            [](uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
                auto* side = static_cast<Side*>(stream->data);
                side->link.on_read(*side, nread);
            });
    }
    void stop_reading() {
        if (!reading) return;
        reading = false;
        uv_read_stop(stream());
    }
};

Link::Link(uv_loop_t* loop, LinkEnvironment environment, std::unique_ptr<xmpp::FilterChain> chain,
           unsigned session)
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

Link::~Link() {
    env_.counters->sessions_active--;
    if (authenticated_) env_.counters->components_connected--;
}

std::size_t Link::queued_bytes() const {
    return component_->out.bytes() + server_->out.bytes() + held_bytes_;
}

std::size_t Link::largest_queue() const {
    return std::max(component_->out.bytes(), server_->out.bytes()) + held_bytes_;
}

uv_stream_t* Link::component_stream() {
    return component_->stream();
}

Link::Side& Link::other(Side& side) {
    return side.kind == SideKind::component ? *server_ : *component_;
}

xmpp::Direction Link::direction_from(const Side& side) const {
    return side.kind == SideKind::component ? xmpp::Direction::to_server
                                            : xmpp::Direction::to_component;
}

const char* Link::name_of(const Side& side) const {
    return side.kind == SideKind::component ? "component" : "server";
}

xmpp::Moment Link::now() const {
    return xmpp::Moment(static_cast<long long>((uv_hrtime() - env_.proxy_start_ns) / 1000));
}

void Link::start() {
    component_->connected = true;
    uv_tcp_nodelay(&component_->tcp, 1);
    component_->start_reading();
    uv_timer_start(
        &handshake_timer_,
        [](uv_timer_t* timer) { static_cast<Link*>(timer->data)->on_timeout("handshake"); },
        env_.config->limits.handshake_timeout_ms, 0);
}

void Link::abandon() {
    finish("the connection could not be accepted");
}

void Link::on_read(Side& side, ssize_t nread) {
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

void Link::handle_framed(Side& side, bool framed) {
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
void Link::keep_rest_if_over_watermark(Side& side) {
    const std::size_t largest = largest_queue();
    env_.counters->note_queue(largest);
    if (largest > env_.config->limits.write_queue_high_bytes) side.framer.pause();
}

void Link::after_input() {
    component_->out.flush();
    server_->out.flush();
    update_backpressure();
}

void Link::on_stream_open(Side& side, const xml::ElementView& header, std::string_view raw) {
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

void Link::on_stanza(Side& side, const xml::ElementView& top, std::string_view raw) {
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
void Link::on_peer_stream_error(Side& side, const xml::ElementView& error) {
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

void Link::on_whitespace(Side& side, std::string_view raw) {
    send(other(side), raw);
}

void Link::on_stream_close(Side& side, std::string_view raw) {
    spdlog::debug("link {}: session {}: {} closed its stream", env_.config->name, session_,
                  name_of(side));
    send(other(side), raw);
}

void Link::emit(xmpp::Direction direction, std::string_view bytes, xmpp::Decision::Kind how) {
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

void Link::note(std::string_view line) {
    spdlog::info("link {}: {}", env_.config->name, line);
}

void Link::send(Side& to, std::string_view bytes) {
    if (barriers_ > 0) {
        held_.push_back(Held{&to, std::string(bytes), stanza_barrier_, false});
        held_bytes_ += bytes.size();
        return;
    }
    if (to.closing) return;
    to.out.append(bytes);
}

void Link::persist(xmpp::Direction fallback_direction, std::string_view fallback) {
    if (env_.durability == nullptr) return;
    ++barriers_;
    std::uint32_t barrier = 0;
    if (!fallback.empty()) {
        held_barriers_.push_back(HeldBarrier{false, stanza_barrier_});
        barrier = static_cast<std::uint32_t>(held_barriers_.size());
        Side& to = fallback_direction == xmpp::Direction::to_server ? *server_ : *component_;
        held_.push_back(Held{&to, std::string(fallback), barrier, true});
        held_bytes_ += fallback.size();
        stanza_barrier_ = barrier;
    }
    std::weak_ptr<bool> alive = alive_;
    env_.durability->after_durable([this, alive, barrier](bool durable) {
        if (alive.expired()) return;
        if (!durable && barrier != 0) held_barriers_[barrier - 1].failed = true;
        if (--barriers_ == 0) release_held();
    });
}

bool Link::barrier_failed(std::uint32_t barrier) const {
    for (; barrier != 0; barrier = held_barriers_[barrier - 1].after) {
        if (held_barriers_[barrier - 1].failed) return true;
    }
    return false;
}

void Link::release_held() {
    for (Held& held : held_) {
        const bool written = held.fallback
                                 ? held_barriers_[held.barrier - 1].failed &&
                                       !barrier_failed(held_barriers_[held.barrier - 1].after)
                                 : !barrier_failed(held.barrier);
        Side& side = *held.side;
        auto& stanzas = side.kind == SideKind::server ? env_.counters->stanzas_to_server
                                                      : env_.counters->stanzas_to_component;
        auto& bytes = side.kind == SideKind::server ? env_.counters->bytes_to_server
                                                    : env_.counters->bytes_to_component;
        // emit() counted what the filter decided; the count follows what is really written.
        if (held.fallback && written) {
            stanzas.fetch_add(1, std::memory_order_relaxed);
            bytes.fetch_add(held.bytes.size(), std::memory_order_relaxed);
            env_.counters->answers_not_durable.fetch_add(1, std::memory_order_relaxed);
            spdlog::debug(
                "link {}: session {}: the state an answer depended on was not stored: "
                "sent the filter's error to the {} instead",
                env_.config->name, session_, name_of(side));
        } else if (!held.fallback && !written) {
            stanzas.fetch_sub(1, std::memory_order_relaxed);
            bytes.fetch_sub(held.bytes.size(), std::memory_order_relaxed);
        }
        if (!written) continue;
        // A side closed by its peer is not written to; a side closing for another reason still
        // gets what was decided before, as with any flush.
        if (!side.broken && side.handle_open) side.out.append(held.bytes);
    }
    held_.clear();
    held_barriers_.clear();
    held_bytes_ = 0;
    component_->out.flush();
    server_->out.flush();
    for (Side* side : {component_.get(), server_.get()}) {
        if (side->closing) close_side(*side);
    }
    update_backpressure();
}

void Link::send_stream_error(Side& to, std::string_view condition, std::string_view text) {
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

void Link::fail_stream(Side& offender, std::string_view condition, std::string_view text) {
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

void Link::connect_upstream() {
    if (upstream_started_) return;
    upstream_started_ = true;
    uv_tcp_init(loop_, &server_->tcp);
    server_->handle_open = true;
    ++outstanding_;
    resolve_request_.data = this;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    ++outstanding_;
    int rc = uv_getaddrinfo(
        loop_, &resolve_request_,
        [](uv_getaddrinfo_t* request, int status, addrinfo* result) {
            static_cast<Link*>(request->data)->on_resolved(status, result);
        },
        env_.config->upstream.host.c_str(), std::to_string(env_.config->upstream.port).c_str(),
        &hints);
    if (rc != 0) {
        // No callback will come: on_resolved settles the request's count, once.
        on_resolved(rc, nullptr);
        return;
    }
    uv_timer_start(
        &connect_timer_,
        [](uv_timer_t* timer) { static_cast<Link*>(timer->data)->on_timeout("upstream connect"); },
        env_.config->limits.upstream_connect_timeout_ms, 0);
}

void Link::on_resolved(int status, addrinfo* result) {
    --outstanding_;
    if (finishing_) {
        if (result != nullptr) uv_freeaddrinfo(result);
        release();
        return;
    }
    if (status != 0 || result == nullptr) {
        on_connected(status != 0 ? status : UV_EAI_NONAME);
        return;
    }
    connect_request_.data = this;
    ++outstanding_;
    int rc = uv_tcp_connect(&connect_request_, &server_->tcp, result->ai_addr,
                            [](uv_connect_t* request, int rc) {
                                auto* link = static_cast<Link*>(request->data);
                                --link->outstanding_;
                                link->on_connected(rc);
                            });
    uv_freeaddrinfo(result);
    if (rc != 0) {
        --outstanding_;
        on_connected(rc);
    }
}

void Link::on_connected(int status) {
    uv_timer_stop(&connect_timer_);
    if (finishing_) {
        release();
        return;
    }
    if (status != 0) {
        env_.counters->upstream_failures++;
        send_stream_error(
            *component_, "remote-connection-failed",
            "the proxy cannot reach the XMPP server at " + upstream_name(*env_.config));
        finish("cannot connect to the server at " + upstream_name(*env_.config) + ": " +
                   uv_strerror(status) + " (the component got <remote-connection-failed/>)",
               spdlog::level::err);
        after_input();
        return;
    }
    server_->connected = true;
    uv_tcp_nodelay(&server_->tcp, 1);
    server_->out.hold(false);
    // Paused by what the MUC sent meanwhile: the server is read once the queues drain.
    if (!paused_) server_->start_reading();
    after_input();
}

void Link::on_timeout(const char* what) {
    send_stream_error(*component_, "connection-timeout", std::string(what) + " timed out");
    if (server_->header_sent && !server_->closing)
        server_->out.append(xmpp::stream_close(server_->header_prefix));
    finish(std::string(what) +
               " did not complete in time (the component got "
               "<connection-timeout/>)",
           spdlog::level::warn);
    after_input();
}

void Link::on_written(Side& side, int status) {
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

void Link::update_backpressure() {
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

bool Link::resume_kept_input() {
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

void Link::shut_down() {
    if (finishing_) return;
    if (component_->connected) {
        send_stream_error(*component_, "system-shutdown", "the proxy is shutting down");
    }
    if (server_->connected && server_->header_sent)
        server_->out.append(xmpp::stream_close(server_->header_prefix));
    finish("proxy shutting down");
    after_input();
}

void Link::finish(const std::string& reason, spdlog::level::level_enum level) {
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

void Link::close_now() {
    for (Side* side : {component_.get(), server_.get()}) {
        side->closing = true;
        if (side->handle_open && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&side->tcp))) {
            uv_close(reinterpret_cast<uv_handle_t*>(&side->tcp), [](uv_handle_t* handle) {
                auto* closed = static_cast<Side*>(handle->data);
                closed->handle_open = false;
                --closed->link.outstanding_;
                closed->link.release();
            });
        }
    }
    finish("closed at once");
}

void Link::close_side(Side& side) {
    if (!side.handle_open || uv_is_closing(reinterpret_cast<uv_handle_t*>(&side.tcp))) return;
    if (side.connected && !side.broken && !side.out.idle())
        return;  // on_written calls again once drained
    auto on_closed = [](uv_handle_t* handle) {
        auto* closed = static_cast<Side*>(handle->data);
        closed->handle_open = false;
        --closed->link.outstanding_;
        closed->link.release();
    };
    if (side.connected && !side.broken && !side.shutdown_started) {
        side.shutdown_started = true;
        auto* request = new uv_shutdown_t;
        request->data = &side;
        if (uv_shutdown(request, side.stream(), [](uv_shutdown_t* done, int) {
                auto* shut = static_cast<Side*>(done->data);
                delete done;
                if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&shut->tcp))) {
                    uv_close(reinterpret_cast<uv_handle_t*>(&shut->tcp), [](uv_handle_t* handle) {
                        auto* closed = static_cast<Side*>(handle->data);
                        closed->handle_open = false;
                        --closed->link.outstanding_;
                        closed->link.release();
                    });
                }
            }) == 0) {
            return;
        }
        delete request;
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&side.tcp), on_closed);
}

void Link::release() {
    if (!finishing_) return;
    for (uv_timer_t* timer : {&handshake_timer_, &connect_timer_}) {
        auto* handle = reinterpret_cast<uv_handle_t*>(timer);
        if (!uv_is_closing(handle)) {
            uv_close(handle, [](uv_handle_t* closed) {
                auto* link = static_cast<Link*>(closed->data);
                --link->outstanding_;
                link->release();
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
