#include "net/proxy.hpp"

#include <spdlog/spdlog.h>

#include "net/close_handles.hpp"

namespace net {
namespace {
// Sessions of a removed or restarted link get this long to end gracefully.
constexpr std::uint64_t kRetireGraceMs = 5000;

// What a running session cannot follow: another address, server, domain or filter chain.
bool needs_restart(const config::Link& was, const config::Link& now) {
    return was.listen != now.listen || was.upstream != now.upstream || was.domain != now.domain ||
           was.offline_enabled != now.offline_enabled;
}
}  // namespace

Proxy::Proxy(uv_loop_t* loop, config::Config config, ChainFactory chain_factory,
             Durability* durability)
    : loop_(loop),
      config_(std::move(config)),
      chain_factory_(std::move(chain_factory)),
      durability_(durability),
      start_ns_(uv_hrtime()),
      log_stanzas_(config_.log.stanzas) {}

Proxy::~Proxy() = default;

bool Proxy::start(std::string& error) {
    if (config_.capture_path && !capture_.open(*config_.capture_path, error)) return false;
    for (const config::Link& link : config_.links) {
        listeners_.push_back(make_listener(link));
        if (!listeners_.back()->start(error)) {
            shut_down(0, nullptr);
            return false;
        }
    }
    return true;
}

std::unique_ptr<Listener> Proxy::make_listener(const config::Link& link) {
    auto listener =
        std::make_unique<Listener>(loop_, link, &capture_, durability_, start_ns_, chain_factory_);
    listener->log_stanzas_from(&log_stanzas_);
    listener->on_change([this] { settle_soon(); });
    ++listeners_open_;
    return listener;
}

std::size_t Proxy::session_count() const {
    std::size_t count = 0;
    for (const auto& listener : listeners_) count += listener->session_count();
    for (const auto& listener : retiring_) count += listener->session_count();
    return count;
}

bool Proxy::accepting() const {
    if (shutting_down_) return false;
    for (const auto& listener : listeners_) {
        if (!listener->accepting()) return false;
    }
    return true;
}

Proxy::Reconfigured Proxy::reconfigure(const config::Config& next) {
    Reconfigured report;
    if (shutting_down_) return report;
    log_stanzas_ = next.log.stanzas;
    std::vector<std::unique_ptr<Listener>> running = std::move(listeners_);
    listeners_.clear();
    auto take_running = [&](const std::string& name) -> std::unique_ptr<Listener> {
        for (auto& listener : running) {
            if (listener && listener->config().name == name) return std::move(listener);
        }
        return nullptr;
    };
    for (const config::Link& link : next.links) {
        std::unique_ptr<Listener> old = take_running(link.name);
        if (old && old->accepting() && !needs_restart(old->config(), link)) {
            (old->config() == link ? report.kept : report.updated).push_back(link.name);
            old->update(link);
            listeners_.push_back(std::move(old));
            continue;
        }
        // The old socket is closed first: the new one may want the same address.
        const bool restarting = old != nullptr;
        if (old) retire(std::move(old));
        auto fresh = make_listener(link);
        std::string error;
        if (!fresh->start(error)) {
            // Kept, not accepting: /healthz says so, and the next reload tries again.
            report.errors.push_back(error);
            listeners_.push_back(std::move(fresh));
            continue;
        }
        (restarting ? report.restarted : report.added).push_back(link.name);
        listeners_.push_back(std::move(fresh));
    }
    for (auto& listener : running) {
        if (!listener) continue;
        report.removed.push_back(listener->config().name);
        retire(std::move(listener));
    }
    config_.links = next.links;
    config_.log = next.log;
    config_.metrics = next.metrics;
    return report;
}

void Proxy::open_timers() {
    if (timers_open_) return;
    timers_open_ = true;
    for (uv_timer_t* timer : {&settle_timer_, &retire_deadline_, &shutdown_deadline_}) {
        uv_timer_init(loop_, timer);
        timer->data = this;
    }
}

void Proxy::retire(std::unique_ptr<Listener> listener) {
    open_timers();
    // Every listener in listeners_ is stopped exactly once: here, or at shutdown.
    listener->stop([this] { --listeners_open_; });
    listener->shut_down_sessions();
    retiring_.push_back(std::move(listener));
    uv_timer_start(
        &retire_deadline_,
        [](uv_timer_t* timer) {
            auto* self = static_cast<Proxy*>(timer->data);
            for (auto& listener : self->retiring_) {
                if (listener->session_count() == 0) continue;
                spdlog::warn(
                    "link {}: {} session(s) of the old link did not close in time: closing "
                    "them now",
                    listener->config().name, listener->session_count());
                listener->close_sessions_now();
            }
        },
        kRetireGraceMs, 0);
    settle_soon();
}

void Proxy::settle_soon() {
    if (!timers_open_ || shutdown_done_) return;
    uv_timer_start(
        &settle_timer_, [](uv_timer_t* timer) { static_cast<Proxy*>(timer->data)->settle(); }, 0,
        0);
}

void Proxy::settle() {
    std::erase_if(retiring_, [](const auto& listener) { return listener->finished(); });
    if (retiring_.empty()) uv_timer_stop(&retire_deadline_);
    if (!shutting_down_ || session_count() > 0 || listeners_open_ > 0) return;
    shutdown_done_ = true;
    close_handles(
        {as_handle(&settle_timer_), as_handle(&retire_deadline_), as_handle(&shutdown_deadline_)},
        [this] {
            timers_open_ = false;
            capture_.flush();
            if (on_shutdown_done_) on_shutdown_done_();
        });
}

void Proxy::shut_down(std::uint64_t grace_ms, std::function<void()> on_done) {
    if (shutting_down_) return;
    shutting_down_ = true;
    open_timers();
    on_shutdown_done_ = std::move(on_done);
    for (auto& listener : listeners_) {
        listener->stop([this] { --listeners_open_; });
        listener->shut_down_sessions();
    }
    for (auto& listener : retiring_) listener->shut_down_sessions();
    uv_timer_start(
        &shutdown_deadline_,
        [](uv_timer_t* timer) {
            static_cast<Proxy*>(timer->data)->close_sessions_now("did not close in time");
        },
        grace_ms, 0);
    settle_soon();
}

void Proxy::close_sessions_now(const char* why) {
    if (session_count() == 0) return;
    spdlog::warn("{} session(s) {}: closing them now", session_count(), why);
    for (auto& listener : listeners_) listener->close_sessions_now();
    for (auto& listener : retiring_) listener->close_sessions_now();
}

void Proxy::log_counters() const {
    for (const auto& listener : listeners_) {
        const session::LinkCounters& c = listener->counters();
        spdlog::info(
            "link {}: sessions {} accepted, {} authenticated; stanzas {} to server, {} to "
            "component; bytes {} to "
            "server, {} to component; stream errors sent {}; read pauses {}; peak queue {} bytes",
            listener->config().name, c.sessions_accepted.load(), c.sessions_authenticated.load(),
            c.stanzas_to_server.load(), c.stanzas_to_component.load(), c.bytes_to_server.load(),
            c.bytes_to_component.load(), c.stream_errors_sent.load(), c.read_pauses.load(),
            c.queue_peak_bytes.load());
    }
}

}  // namespace net
