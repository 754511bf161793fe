#pragma once
// An XMPP client on libstrophe, driven from the test thread: each client has its own
// xmpp_ctx_t, and nothing happens unless someone calls run_once() (see pump.hpp). It logs in
// over plain TCP (no TLS), sends initial presence, and records every stanza it sends or gets.
#include <strophe.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "deadline.hpp"
#include "stanza_record.hpp"

namespace rig {

struct Account {
    std::string user;
    std::string domain = "localhost";
    std::string resource;
    std::string password = "pw";

    std::string bare_jid() const { return user + "@" + domain; }
    std::string full_jid() const { return bare_jid() + "/" + resource; }
};

class Client {
  public:
    enum class State { connecting, awaiting_presence, online, failed, closed };

    // Starts connecting to 127.0.0.1:c2s_port; pump it until online() or failed().
    // `label` names the client in transcripts ("alice"); libstrophe logs to `log_path`.
    Client(std::string label, Account account, std::uint16_t c2s_port,
           std::filesystem::path log_path, Clock::time_point epoch);
    ~Client();  // closes the stream, bounded
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    const std::string& label() const { return label_; }
    const Account& account() const { return account_; }
    std::string jid() const { return account_.full_jid(); }
    const std::filesystem::path& log_path() const { return log_path_; }

    State state() const { return state_; }
    // Logged in and the server has echoed our initial presence back to us.
    bool online() const { return state_ == State::online; }
    bool failed() const { return state_ == State::failed; }
    const std::string& failure() const { return failure_; }

    // Lets libstrophe read, write and dispatch, waiting at most `timeout` for the socket.
    void run_once(Millis timeout);

    // Queues raw XML (one stanza) and records it as sent. Throws unless logged in.
    void send(std::string_view xml);

    // A fresh stanza id, "e2e-<label>-<what>-<n>": ours, so transcripts can keep it.
    std::string next_id(std::string_view what);

    // Called with each stanza this client receives, right after it is recorded, so that a
    // client playing a service (rig/push_service.hpp) answers requests while the stack pumps.
    // One hook; a later call replaces it.
    using ReceiveHook = std::function<void(Client&, xmpp_stanza_t*)>;
    void on_receive(ReceiveHook hook) { receive_hook_ = std::move(hook); }

    const std::vector<StanzaRecord>& received() const { return received_; }
    const std::vector<StanzaRecord>& sent() const { return sent_; }
    // Index to search received() from, to only see what arrives after this point.
    std::size_t mark() const { return received_.size(); }

  private:
    static void on_connection(xmpp_conn_t* conn, xmpp_conn_event_t event, int error,
                              xmpp_stream_error_t* stream_error, void* self);
    static int on_stanza(xmpp_conn_t* conn, xmpp_stanza_t* stanza, void* self);
    static void on_log(void* self, xmpp_log_level_t level, const char* area, const char* msg);

    std::string label_;
    Account account_;
    std::filesystem::path log_path_;
    Clock::time_point epoch_;
    std::FILE* log_ = nullptr;
    xmpp_log_t logger_{};
    xmpp_ctx_t* ctx_ = nullptr;
    xmpp_conn_t* conn_ = nullptr;
    State state_ = State::connecting;
    bool closing_ = false;
    std::string failure_;
    unsigned next_id_ = 1;
    std::vector<StanzaRecord> received_;
    std::vector<StanzaRecord> sent_;
    ReceiveHook receive_hook_;
};

}  // namespace rig
