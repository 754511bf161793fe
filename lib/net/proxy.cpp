#include "net/proxy.hpp"

#include <spdlog/spdlog.h>

namespace net {
namespace {
constexpr std::uint64_t kShutdownPollMs = 20;
}

Proxy::Proxy(uv_loop_t* loop, config::Config config, ChainFactory chain_factory,
             Durability* durability)
    : loop_(loop),
      config_(std::move(config)),
      chain_factory_(std::move(chain_factory)),
      durability_(durability),
      start_ns_(uv_hrtime()) {
    shutdown_timer_.data = this;
}

Proxy::~Proxy() = default;

bool Proxy::start(std::string& error) {
    if (config_.capture_path && !capture_.open(*config_.capture_path, error)) return false;
    for (const config::Link& link : config_.links) {
        listeners_.push_back(std::make_unique<Listener>(loop_, link, &capture_, durability_,
                                                        start_ns_, chain_factory_));
        ++listeners_open_;
        if (!listeners_.back()->start(error)) {
            shut_down(0, nullptr);
            return false;
        }
    }
    return true;
}

std::size_t Proxy::session_count() const {
    std::size_t count = 0;
    for (const auto& listener : listeners_) count += listener->session_count();
    return count;
}

void Proxy::shut_down(std::uint64_t grace_ms, std::function<void()> on_done) {
    if (shutdown_timer_open_) return;
    on_shutdown_done_ = std::move(on_done);
    shutdown_deadline_ms_ = uv_now(loop_) + grace_ms;
    for (auto& listener : listeners_) {
        listener->stop([this] { --listeners_open_; });
        listener->shut_down_sessions();
    }
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
    }
    if (session_count() > 0 || listeners_open_ > 0) return;
    uv_timer_stop(&shutdown_timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(&shutdown_timer_), [](uv_handle_t* handle) {
        auto* self = static_cast<Proxy*>(handle->data);
        self->capture_.flush();
        if (self->on_shutdown_done_) self->on_shutdown_done_();
    });
}

void Proxy::log_counters() const {
    for (const auto& listener : listeners_) {
        const LinkCounters& c = listener->counters();
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
