#include "client.hpp"

#include <csignal>
#include <mutex>
#include <stdexcept>

namespace rig {
namespace {

void initialize_libstrophe_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        xmpp_initialize();
        // A peer that goes away mid-write must be an error code, not the end of the runner.
        std::signal(SIGPIPE, SIG_IGN);
    });
}

const char* event_name(xmpp_conn_event_t event) {
    switch (event) {
        case XMPP_CONN_CONNECT:
            return "connected";
        case XMPP_CONN_RAW_CONNECT:
            return "raw-connected";
        case XMPP_CONN_DISCONNECT:
            return "disconnected";
        case XMPP_CONN_FAIL:
            return "connection failed";
    }
    return "?";
}

bool is_stanza(const std::string& name) {
    return name == "message" || name == "presence" || name == "iq";
}

}  // namespace

Client::Client(std::string label, Account account, std::uint16_t c2s_port,
               std::filesystem::path log_path, Clock::time_point epoch)
    : label_(std::move(label)),
      account_(std::move(account)),
      log_path_(std::move(log_path)),
      epoch_(epoch) {
    initialize_libstrophe_once();
    log_ = std::fopen(log_path_.c_str(), "a");
    logger_.handler = &Client::on_log;
    logger_.userdata = this;
    ctx_ = xmpp_ctx_new(nullptr, &logger_);
    conn_ = ctx_ != nullptr ? xmpp_conn_new(ctx_) : nullptr;
    if (conn_ == nullptr) {
        if (ctx_ != nullptr) xmpp_ctx_free(ctx_);
        if (log_ != nullptr) std::fclose(log_);
        throw std::runtime_error("libstrophe: cannot create a connection for " + label_);
    }
    // Loopback test server without certificates: plain TCP, SASL over it (Prosody is told
    // allow_unencrypted_plain_auth). No XEP-0198, so every stanza on the wire is a real one.
    xmpp_conn_set_flags(conn_, XMPP_CONN_FLAG_DISABLE_TLS | XMPP_CONN_FLAG_DISABLE_SM);
    xmpp_conn_set_jid(conn_, account_.full_jid().c_str());
    xmpp_conn_set_pass(conn_, account_.password.c_str());
    xmpp_handler_add(conn_, &Client::on_stanza, nullptr, nullptr, nullptr, this);
    if (xmpp_connect_client(conn_, "127.0.0.1", c2s_port, &Client::on_connection, this) !=
        XMPP_EOK) {
        state_ = State::failed;
        failure_ = "xmpp_connect_client failed for 127.0.0.1:" + std::to_string(c2s_port);
    }
}

Client::~Client() {
    if (conn_ != nullptr) {
        if (xmpp_conn_is_connected(conn_) || xmpp_conn_is_connecting(conn_)) {
            closing_ = true;
            xmpp_disconnect(conn_);
            Deadline deadline = Deadline::in(Millis(2000));
            while (!xmpp_conn_is_disconnected(conn_) && !deadline.passed()) {
                xmpp_run_once(ctx_, 10);
            }
        }
        xmpp_handler_delete(conn_, &Client::on_stanza);
        xmpp_conn_release(conn_);
    }
    if (ctx_ != nullptr) xmpp_ctx_free(ctx_);
    if (log_ != nullptr) std::fclose(log_);
}

void Client::run_once(Millis timeout) {
    xmpp_run_once(ctx_, static_cast<unsigned long>(timeout.count()));
}

void Client::send(std::string_view xml) {
    if (state_ != State::online && state_ != State::awaiting_presence) {
        throw std::logic_error(label_ + " cannot send while not logged in: " + std::string(xml));
    }
    StanzaRecord record;
    if (xmpp_stanza_t* parsed = xmpp_stanza_new_from_string(ctx_, std::string(xml).c_str())) {
        record = record_stanza(parsed);
        xmpp_stanza_release(parsed);
    }
    record.xml = std::string(xml);
    record.t = seconds_since(epoch_);
    record.client = label_;
    record.direction = Direction::sent;
    sent_.push_back(std::move(record));
    xmpp_send_raw(conn_, xml.data(), xml.size());
}

std::string Client::next_id(std::string_view what) {
    return "e2e-" + label_ + "-" + std::string(what) + "-" + std::to_string(next_id_++);
}

void Client::on_connection(xmpp_conn_t*, xmpp_conn_event_t event, int error,
                           xmpp_stream_error_t* stream_error, void* self_ptr) {
    auto* self = static_cast<Client*>(self_ptr);
    if (event == XMPP_CONN_CONNECT) {
        self->state_ = State::awaiting_presence;
        self->send("<presence/>");  // RFC 6121 §4.2: initial presence
        return;
    }
    if (self->closing_) {
        self->state_ = State::closed;
        return;
    }
    self->state_ = State::failed;
    self->failure_ = std::string(event_name(event)) + " (error " + std::to_string(error);
    if (stream_error != nullptr) {
        self->failure_ += ", stream error " + std::to_string(stream_error->type);
        if (stream_error->text != nullptr) self->failure_ += std::string(": ") + stream_error->text;
    }
    self->failure_ += ")";
}

int Client::on_stanza(xmpp_conn_t*, xmpp_stanza_t* stanza, void* self_ptr) {
    auto* self = static_cast<Client*>(self_ptr);
    StanzaRecord record = record_stanza(stanza);
    if (!is_stanza(record.name)) return 1;
    record.t = seconds_since(self->epoch_);
    record.client = self->label_;
    record.direction = Direction::received;
    // RFC 6121 §4.2.2: the server sends our initial presence to our own resources too;
    // once it is back, the session is fully set up.
    if (self->state_ == State::awaiting_presence && record.name == "presence" &&
        record.from == self->jid() && record.type.empty()) {
        self->state_ = State::online;
    }
    self->received_.push_back(std::move(record));
    if (self->receive_hook_) self->receive_hook_(*self, stanza);
    return 1;  // keep the handler
}

void Client::on_log(void* self_ptr, xmpp_log_level_t level, const char* area, const char* msg) {
    auto* self = static_cast<Client*>(self_ptr);
    if (self->log_ == nullptr) return;
    static const char* const kLevels[] = {"debug", "info", "warn", "error"};
    std::fprintf(self->log_, "[%8.3f] %s %s: %s\n", seconds_since(self->epoch_),
                 kLevels[static_cast<int>(level) & 3], area, msg);
    std::fflush(self->log_);
}

}  // namespace rig
