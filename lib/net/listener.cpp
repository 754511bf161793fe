#include "net/listener.hpp"

#include <spdlog/spdlog.h>

#include "net/close_handles.hpp"
#include "net/tcp_server.hpp"

namespace net {

Listener::Listener(uv_loop_t* loop, config::Link config, CaptureFile* capture,
                   Durability* durability, std::uint64_t proxy_start_ns, ChainFactory chain_factory)
    : loop_(loop),
      config_(std::move(config)),
      capture_(capture),
      durability_(durability),
      proxy_start_ns_(proxy_start_ns),
      chain_factory_(std::move(chain_factory)) {
    server_.data = this;
}

Listener::~Listener() = default;

bool Listener::start(std::string& error) {
    const std::string where = "link '" + config_.name + "': listen " + config_.listen.host + ":" +
                              std::to_string(config_.listen.port);
    sockaddr_storage address{};
    std::string why;
    if (!resolve_listen_address(config_.listen.host, config_.listen.port, address, why)) {
        error = where + ": " + why;
        return false;
    }
    uv_tcp_init(loop_, &server_);
    listening_ = true;
    const int rc = bind_and_listen(server_, reinterpret_cast<const sockaddr*>(&address),
                                   [](uv_stream_t* server, int status) {
                                       static_cast<Listener*>(server->data)->on_connection(status);
                                   });
    if (rc != 0) {
        error = where + ": " + uv_strerror(rc);
        return false;
    }
    accepting_ = true;
    spdlog::info("link {}: listening on {}:{} for component {}, upstream {}:{}", config_.name,
                 config_.listen.host, config_.listen.port, config_.domain, config_.upstream.host,
                 config_.upstream.port);
    return true;
}

std::uint16_t Listener::bound_port() const {
    return net::bound_port(server_);
}

std::size_t Listener::queued_bytes() const {
    std::size_t total = 0;
    for (const auto& link : sessions_) total += link->queued_bytes();
    return total;
}

void Listener::on_connection(int status) {
    if (status != 0) {
        spdlog::warn("link {}: accept failed: {}", config_.name, uv_strerror(status));
        return;
    }
    unsigned session = next_session_++;
    SessionEnvironment environment{
        &config_,
        &counters_,
        capture_,
        durability_,
        proxy_start_ns_,
        log_stanzas_,
        [this](Session* finished) {
            sessions_.remove_if([finished](const auto& l) { return l.get() == finished; });
            spdlog::debug("link {}: session closed, {} left", config_.name, sessions_.size());
            if (on_change_) on_change_();
        }};
    sessions_.push_back(
        std::make_unique<Session>(loop_, std::move(environment), chain_factory_(config_), session));
    Session& opened = *sessions_.back();
    if (uv_accept(reinterpret_cast<uv_stream_t*>(&server_), opened.component_stream()) != 0) {
        opened.abandon();
        return;
    }
    spdlog::info("link {}: session {}: component connected", config_.name, session);
    opened.start();
}

void Listener::stop(std::function<void()> on_closed) {
    accepting_ = false;
    if (!listening_) {
        listen_closed_ = true;
        if (on_closed) on_closed();
        return;
    }
    listening_ = false;
    on_closed_ = std::move(on_closed);
    // libuv closes the socket now (the address can be bound again at once); the handle is
    // released in the callback.
    close_handles({as_handle(&server_)}, [this] {
        listen_closed_ = true;
        if (on_closed_) on_closed_();
        if (on_change_) on_change_();
    });
}

void Listener::shut_down_sessions() {
    for (auto& session : sessions_) session->shut_down();
}

void Listener::close_sessions_now() {
    for (auto& session : sessions_) session->close_now();
}

}  // namespace net
