// A session's connection to the XMPP server: resolved and opened once the MUC's stream header
// names this session's link's domain; a failure tells the MUC <remote-connection-failed/>.
#include <spdlog/spdlog.h>

#include "net/session.hpp"
#include "net/session_side.hpp"

namespace net {
namespace {

std::string upstream_name(const config::Link& link) {
    return link.upstream.host + ":" + std::to_string(link.upstream.port);
}

}  // namespace

void Session::connect_upstream() {
    uv_tcp_init(loop_, &server_->tcp);
    server_->open = true;
    resolve_request_.data = this;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    resolving_ = true;
    int rc = uv_getaddrinfo(
        loop_, &resolve_request_,
        [](uv_getaddrinfo_t* request, int status, addrinfo* result) {
            static_cast<Session*>(request->data)->on_resolved(status, result);
        },
        env_.config->upstream.host.c_str(), std::to_string(env_.config->upstream.port).c_str(),
        &hints);
    if (rc != 0) {
        // No callback will come.
        on_resolved(rc, nullptr);
        return;
    }
    uv_timer_start(
        &connect_timer_,
        [](uv_timer_t* timer) {
            static_cast<Session*>(timer->data)->on_timeout("upstream connect");
        },
        env_.config->limits.upstream_connect_timeout_ms, 0);
}

void Session::on_resolved(int status, addrinfo* result) {
    resolving_ = false;
    if (core_.ended()) {
        if (result != nullptr) uv_freeaddrinfo(result);
        close_handles_when_done();
        return;
    }
    if (status != 0 || result == nullptr) {
        if (result != nullptr) uv_freeaddrinfo(result);
        on_connected(status != 0 ? status : UV_EAI_NONAME);
        return;
    }
    connect_request_.data = this;
    int rc = uv_tcp_connect(&connect_request_, &server_->tcp, result->ai_addr,
                            [](uv_connect_t* request, int connected) {
                                static_cast<Session*>(request->data)->on_connected(connected);
                            });
    uv_freeaddrinfo(result);
    if (rc != 0) on_connected(rc);
}

// Also called with UV_ECANCELED when the session's handles close before the connect is done.
void Session::on_connected(int status) {
    uv_timer_stop(&connect_timer_);
    if (core_.ended()) return;
    if (status != 0) {
        env_.counters->upstream_failures++;
        core_.upstream_failed(
            "the proxy cannot reach the XMPP server at " + upstream_name(*env_.config),
            "cannot connect to the server at " + upstream_name(*env_.config) + ": " +
                uv_strerror(status) + " (the component got <remote-connection-failed/>)");
        after_core();
        return;
    }
    server_->connected = true;
    uv_tcp_nodelay(&server_->tcp, 1);
    server_->out.hold(false);
    // Paused by what the MUC sent meanwhile: the server is read once the queues drain.
    if (!paused_) server_->start_reading();
    after_core();
}

}  // namespace net
