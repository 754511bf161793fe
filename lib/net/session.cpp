#include "net/session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "net/close_handles.hpp"
#include "net/session_side.hpp"

namespace net {
namespace {

spdlog::level::level_enum level_of(session::LogLevel level) {
    switch (level) {
        case session::LogLevel::debug:
            return spdlog::level::debug;
        case session::LogLevel::info:
            return spdlog::level::info;
        case session::LogLevel::warn:
            return spdlog::level::warn;
        case session::LogLevel::error:
            return spdlog::level::err;
    }
    return spdlog::level::info;
}

session::SessionRules rules_of(const SessionEnvironment& env, unsigned number) {
    return session::SessionRules{env.config->domain, env.config->limits.max_stanza_bytes, number,
                                 env.durability != nullptr};
}

}  // namespace

Session::Session(uv_loop_t* loop, SessionEnvironment environment,
                 std::unique_ptr<xmpp::FilterChain> chain, unsigned number)
    : loop_(loop),
      env_(std::move(environment)),
      number_(number),
      component_(std::make_unique<Side>(*this, session::Side::component)),
      server_(std::make_unique<Side>(*this, session::Side::server)),
      core_(rules_of(env_, number), std::move(chain), *this, *env_.counters) {
    uv_tcp_init(loop_, &component_->tcp);
    component_->open = true;
    // Until the server's socket is connected, what is relayed to it waits in its queue.
    server_->out.hold(true);
    for (uv_timer_t* timer : {&handshake_timer_, &connect_timer_}) {
        uv_timer_init(loop_, timer);
        timer->data = this;
    }
    uv_check_init(loop_, &after_commits_);
    after_commits_.data = this;
    uv_check_init(loop_, &prepare_ahead_);
    prepare_ahead_.data = this;
    env_.counters->sessions_accepted++;
    env_.counters->sessions_active++;
}

Session::~Session() {
    env_.counters->sessions_active--;
}

std::size_t Session::queued_bytes() const {
    return component_->out.bytes() + server_->out.bytes() + core_.held_bytes();
}

std::size_t Session::largest_queue() const {
    return std::max(component_->out.bytes(), server_->out.bytes()) + core_.held_bytes();
}

uv_stream_t* Session::component_stream() {
    return component_->stream();
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
    core_.end("the connection could not be accepted");
    after_core();
}

void Session::on_read(Side& side, ssize_t nread) {
    if (nread == 0) return;
    if (nread < 0) {
        side.stop_reading();
        if (nread != UV_EOF) side.broken = true;
        core_.peer_closed(side.which, nread == UV_EOF ? std::string("closed the connection")
                                                      : std::string("connection failed: ") +
                                                            uv_strerror(static_cast<int>(nread)));
        after_core();
        return;
    }
    std::string_view bytes(side.read_buffer.get(), static_cast<std::size_t>(nread));
    if (env_.capture != nullptr && env_.capture->enabled()) {
        double seconds = static_cast<double>(uv_hrtime() - env_.proxy_start_ns) / 1e9;
        std::string_view whole = side.capture_carry.complete(bytes);
        if (!whole.empty()) {
            env_.capture->record(seconds, session::direction_from(side.which), env_.config->name,
                                 number_, whole);
            env_.capture->flush();
        }
    }
    core_.feed(side.which, bytes, now());
    after_core();
    // After every read of this loop iteration, its output already handed to the sockets.
    uv_check_start(&prepare_ahead_, [](uv_check_t* check) {
        uv_check_stop(check);
        auto* self = static_cast<Session*>(check->data);
        if (!self->handles_closing_) self->core_.prepare_ahead();
    });
}

void Session::write(const session::Write& write) {
    Side& to = side(write.to);
    if (to.broken || !to.open || to.shutdown_started) return;
    // Stanzas carry messages and forms: only in the log when the operator turned it on.
    if (write.unit != session::Unit::stream && env_.log_stanzas != nullptr && *env_.log_stanzas) {
        const char* what = write.unit == session::Unit::added       ? "added"
                           : write.unit == session::Unit::rewritten ? "rewritten"
                           : write.unit == session::Unit::fallback  ? "sent instead"
                                                                    : "relayed";
        std::string whole;
        write.append_to(whole);
        spdlog::info("link {}: session {}: {} to the {}: {}", env_.config->name, number_, what,
                     to.name(), whole);
    }
    if (write.in_pieces()) {
        to.out.append(write.bytes, write.member, write.tail);
    } else {
        to.out.append(write.bytes);
    }
}

bool Session::over_high_watermark() {
    const std::size_t largest = largest_queue();
    env_.counters->note_queue(largest);
    return largest > env_.config->limits.write_queue_high_bytes;
}

void Session::log(session::LogLevel level, std::string_view line) {
    spdlog::log(level_of(level), "link {}: session {}: {}", env_.config->name, number_, line);
}

void Session::note(std::string_view line) {
    spdlog::info("link {}: {}", env_.config->name, line);
}

void Session::handshake_accepted() {
    uv_timer_stop(&handshake_timer_);
}

void Session::record(const xmpp::StateRecord& change) {
    if (env_.durability != nullptr) env_.durability->record(env_.config->name, change);
}

void Session::wait_durable(std::uint64_t ticket, session::Side, std::string_view) {
    std::weak_ptr<bool> alive = alive_;
    env_.durability->after_durable([this, alive, ticket](bool durable) {
        if (alive.expired()) return;
        core_.durable(ticket, durable);
        if (handles_closing_) return;
        // One commit releases the answers of many joins: they leave together, in one write,
        // once every ticket of the commit is in.
        uv_check_start(&after_commits_, [](uv_check_t* check) {
            uv_check_stop(check);
            static_cast<Session*>(check->data)->after_core();
        });
    });
}

void Session::after_core() {
    // Once the handles close, their cancelled writes call back: nothing is written any more.
    if (handles_closing_) return;
    for (Side* each : {component_.get(), server_.get()}) {
        if (!each->broken) each->out.flush();
        if (each->closing) close_when_drained(*each);
    }
    update_backpressure();
}

void Session::on_timeout(const char* what) {
    core_.timed_out(what);
    after_core();
}

void Session::on_written(Side& side, int status) {
    if (status != 0) {
        side.broken = true;
        core_.write_failed(side.which, uv_strerror(status));
        after_core();
        return;
    }
    if (handles_closing_) return;
    // Writes are bounded: what is still queued goes next, before a closing side closes.
    side.out.flush();
    if (side.closing) {
        close_when_drained(side);
        return;
    }
    update_backpressure();
}

void Session::update_backpressure() {
    if (core_.ended() || resuming_input_) return;
    const config::Limits& limits = env_.config->limits;
    for (;;) {
        const std::size_t largest = largest_queue();
        env_.counters->note_queue(largest);
        // Reading either side can add to either queue (forwarded stanzas one way, answers the
        // other), so both sides pause together: memory stays bounded whichever peer stalls. A
        // read the watermark stopped midway (its rest kept unhandled) pauses them too, even
        // when the sockets have taken the queues at once since.
        if (!paused_ && (largest > limits.write_queue_high_bytes || core_.input_kept())) {
            paused_ = true;
            env_.counters->read_pauses++;
            component_->stop_reading();
            server_->stop_reading();
            spdlog::debug("link {}: session {}: write queue at {} bytes, reading paused",
                          env_.config->name, number_, largest);
        }
        // A write still under way calls back when it is done.
        if (!paused_ || largest >= limits.write_queue_low_bytes) return;
        // What was read before the pause is handled before anything more is read.
        resuming_input_ = true;
        const bool nothing_kept = core_.resume_input(now());
        resuming_input_ = false;
        if (core_.ended()) {
            after_core();
            return;
        }
        component_->out.flush();
        server_->out.flush();
        if (nothing_kept) break;
        // Over the high watermark again; the queues may have drained at once (the sockets took
        // them all), and then nothing calls back: look again.
    }
    paused_ = false;
    component_->start_reading();
    server_->start_reading();
}

void Session::shut_down() {
    core_.shut_down();
    after_core();
}

void Session::ended() {
    uv_timer_stop(&handshake_timer_);
    uv_timer_stop(&connect_timer_);
    if (resolving_) uv_cancel(reinterpret_cast<uv_req_t*>(&resolve_request_));
    for (Side* each : {component_.get(), server_.get()}) {
        each->stop_reading();
        each->closing = true;
    }
    // The sides are closed by after_core(), once what they are owed is written: the core may
    // still be writing (a stream error, the closing tag) when it calls this.
}

void Session::close_now() {
    for (Side* each : {component_.get(), server_.get()}) {
        each->stop_reading();
        each->closing = true;
        each->done = true;
    }
    core_.end("closed at once");
    close_handles_when_done();
}

void Session::close_when_drained(Side& side) {
    if (side.done) return;
    const bool writable = side.open && side.connected && !side.broken;
    if (writable && (!side.out.idle() || core_.holding()))
        return;  // on_written or the commit calls again
    if (writable && !side.shutdown_started) {
        side.shutdown_started = true;
        auto* request = new uv_shutdown_t;
        request->data = &side;
        if (uv_shutdown(request, side.stream(), [](uv_shutdown_t* finished, int) {
                auto* shut = static_cast<Side*>(finished->data);
                delete finished;
                shut->done = true;
                shut->owner.close_handles_when_done();
            }) == 0) {
            return;
        }
        delete request;  // the socket is closed without a FIN
    } else if (writable) {
        return;  // the shutdown's callback finishes the side
    }
    side.done = true;
    close_handles_when_done();
}

void Session::close_handles_when_done() {
    if (handles_closing_ || resolving_ || !component_->done || !server_->done) return;
    handles_closing_ = true;
    close_handles({as_handle(&component_->tcp), server_->open ? as_handle(&server_->tcp) : nullptr,
                   as_handle(&handshake_timer_), as_handle(&connect_timer_),
                   as_handle(&after_commits_), as_handle(&prepare_ahead_)},
                  [this] {
                      // It frees this session: it must not be a member while it runs.
                      auto finished = std::move(env_.on_finished);
                      if (finished) finished(this);
                  });
}

}  // namespace net
