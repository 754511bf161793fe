#include "net/proxy.hpp"

#include <spdlog/spdlog.h>

namespace net {
namespace {
constexpr std::uint64_t kShutdownPollMs = 20;
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
      log_stanzas_(config_.log.stanzas) {
    shutdown_timer_.data = this;
    retire_timer_.data = this;
}

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

void Proxy::retire(std::unique_ptr<Listener> listener) {
    // Every listener in listeners_ is stopped exactly once: here, or at shutdown.
    listener->stop([this] { --listeners_open_; });
    listener->shut_down_sessions();
    retiring_.push_back(std::move(listener));
    retire_deadline_ms_ = uv_now(loop_) + kRetireGraceMs;
    if (!retire_timer_open_) {
        uv_timer_init(loop_, &retire_timer_);
        retire_timer_open_ = true;
    }
    uv_timer_start(
        &retire_timer_, [](uv_timer_t* timer) { static_cast<Proxy*>(timer->data)->reap_retired(); },
        kShutdownPollMs, kShutdownPollMs);
}

void Proxy::reap_retired() {
    const bool late = uv_now(loop_) >= retire_deadline_ms_;
    for (auto& listener : retiring_) {
        if (late && listener->session_count() > 0) {
            spdlog::warn(
                "link {}: {} session(s) of the old link did not close in time: closing "
                "them now",
                listener->config().name, listener->session_count());
            listener->close_sessions_now();
        }
    }
    std::erase_if(retiring_, [](const auto& listener) { return listener->finished(); });
    if (retiring_.empty()) uv_timer_stop(&retire_timer_);
}

void Proxy::shut_down(std::uint64_t grace_ms, std::function<void()> on_done) {
    if (shutdown_timer_open_) return;
    shutting_down_ = true;
    on_shutdown_done_ = std::move(on_done);
    shutdown_deadline_ms_ = uv_now(loop_) + grace_ms;
    for (auto& listener : listeners_) {
        listener->stop([this] { --listeners_open_; });
        listener->shut_down_sessions();
    }
    for (auto& listener : retiring_) listener->shut_down_sessions();
    uv_timer_init(loop_, &shutdown_timer_);
    shutdown_timer_open_ = true;
    uv_timer_start(
        &shutdown_timer_,
        [](uv_timer_t* timer) { static_cast<Proxy*>(timer->data)->check_shutdown_done(); },
        kShutdownPollMs, kShutdownPollMs);
}

void Proxy::check_shutdown_done() {
    if (session_count() > 0 && !forced_ && uv_now(loop_) >= shutdown_deadline_ms_) {
        forced_ = true;
        spdlog::warn("{} session(s) did not close in time: closing them now", session_count());
        for (auto& listener : listeners_) listener->close_sessions_now();
        for (auto& listener : retiring_) listener->close_sessions_now();
    }
    if (session_count() > 0 || listeners_open_ > 0) return;
    uv_timer_stop(&shutdown_timer_);
    if (retire_timer_open_) {
        retire_timer_open_ = false;
        uv_close(reinterpret_cast<uv_handle_t*>(&retire_timer_), nullptr);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&shutdown_timer_), [](uv_handle_t* handle) {
        auto* self = static_cast<Proxy*>(handle->data);
        self->capture_.flush();
        if (self->on_shutdown_done_) self->on_shutdown_done_();
    });
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
