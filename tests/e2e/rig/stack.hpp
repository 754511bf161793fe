#pragma once
// The whole rig for one test: Prosody, then (through_proxy) the proxy or socat relay in
// front of Prosody's component port, then mu-conference connected to whichever of the two
// it should be, and the clients. Built in that order, torn down in reverse; every process is
// stopped and the temp dir removed even when a test fails half-way.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "client.hpp"
#include "deadline.hpp"
#include "muc_process.hpp"
#include "muconference.hpp"
#include "prosody_server.hpp"
#include "proxy.hpp"
#include "stanza_pattern.hpp"
#include "stream_close_filter.hpp"
#include "temp_dir.hpp"

namespace rig {

struct StackOptions {
    bool through_proxy = true;
    RelayKind relay = RelayKind::proxy;
    std::string proxy_binary = "build/muc-offline-proxy";
    bool keep_dir = false;
    Millis startup_timeout = Millis(15000);  // per process
    Millis step_timeout = Millis(5000);      // default for expect() and wait_until()
    std::string proxy_extra_config;          // see ProxySettings::extra_config
    std::vector<std::string> extra_users;    // accounts besides alice, bob, carol, dave, erin
    bool capable_server = false;             // see ProsodySettings::capable_server
    // mu-conference connects through a StreamCloseFilter, which keeps the link's closing
    // </stream:stream> from it, so that it survives a graceful stop of the proxy.
    bool shield_muc_from_stream_close = false;
    MucKind muc = MucKind::mu_conference;     // or Prosody's MUC as an external component
    bool allow_unaffiliated_register = true;  // Prosody's MUC only (its default is false)
    std::string prosody_module_dir = "deploy/prosody";
    bool push_notifications = false;  // see ProsodySettings::cloud_notify
    std::string prosody_community_module_dir = "/usr/lib/prosody/modules";

    // relay from E2E_RELAY, proxy_binary from MUC_OFFLINE_PROXY, keep_dir from E2E_KEEP,
    // prosody_module_dir from E2E_PROSODY_MODULES, prosody_community_module_dir from
    // E2E_PROSODY_COMMUNITY_MODULES.
    static StackOptions from_env(bool through_proxy);
};

class Stack {
  public:
    explicit Stack(bool through_proxy);
    explicit Stack(StackOptions options);
    ~Stack();
    Stack(const Stack&) = delete;
    Stack& operator=(const Stack&) = delete;

    // Logs user@localhost/resource in, sends initial presence and waits for the server to
    // echo it. `label` names it in transcripts; defaults to the user name.
    Client& login(const std::string& user, const std::string& resource, std::string label = "");

    // Closes that client's stream (bounded wait) and forgets it: the user has one resource
    // less on the server. The reference is dangling afterwards.
    void logout(Client& client);

    // Pumps every client until done() holds; throws "timed out waiting for <what>" if not.
    void wait_until(const std::function<bool()>& done, const std::string& what,
                    Millis timeout = Millis(0));

    // Pumps every client until `who` has received a matching stanza at index >= since.
    StanzaRecord expect(const Client& who, const StanzaPattern& pattern, std::size_t since = 0,
                        Millis timeout = Millis(0));

    // mu-conference going away and coming back (through the proxy if there is one).
    void stop_muc();
    void start_muc();  // returns once it answers a disco#info

    // The proxy (or relay) going away and coming back on the same port, with the same config
    // and store. mu-conference keeps its rooms and connects again by itself (it retries about
    // every 2 s); start_proxy() returns once it answers a disco#info through the new process.
    // Throws without a link.
    void stop_proxy(StopHow how);
    void start_proxy();

    bool through_proxy() const { return proxy_ != nullptr; }
    const std::string& domain() const { return prosody_->settings().domain; }
    const std::string& muc_domain() const { return prosody_->settings().muc_domain; }
    std::uint16_t c2s_port() const { return prosody_->c2s_port(); }
    std::uint16_t component_port() const { return prosody_->component_port(); }
    std::uint16_t proxy_port() const { return proxy_ ? proxy_->listen_port() : 0; }
    const Proxy* proxy() const { return proxy_.get(); }
    const StreamCloseFilter* stream_close_filter() const { return filter_.get(); }
    const std::filesystem::path& dir() const { return dir_.path(); }
    Clock::time_point epoch() const { return epoch_; }
    std::vector<Client*> clients() const;

    // Who connects where, ports included, in a few lines.
    std::string describe_path() const;

    // The last lines of every process log and client log, for failure messages.
    std::string log_tails(std::size_t lines = 25) const;

  private:
    void wait_muc_ready(Deadline deadline);
    Millis step(Millis timeout) const {
        return timeout.count() > 0 ? timeout : options_.step_timeout;
    }

    StackOptions options_;
    Clock::time_point epoch_;
    // Declaration order is teardown order, reversed: clients, MUC, filter, proxy, Prosody,
    // temp dir.
    TempDir dir_;
    std::unique_ptr<ProsodyServer> prosody_;
    std::unique_ptr<Proxy> proxy_;
    std::unique_ptr<StreamCloseFilter> filter_;
    std::unique_ptr<MucProcess> muc_;
    std::vector<std::unique_ptr<Client>> clients_;
    int probes_ = 0;  // readiness probes so far: each logs in under a resource of its own
};

// Streams Stack::log_tails() lazily: doctest's INFO(LogTails{stack}) only renders it when
// an assertion fails or an exception leaves the test.
struct LogTails {
    const Stack& stack;
};
std::ostream& operator<<(std::ostream& out, const LogTails& tails);

}  // namespace rig
