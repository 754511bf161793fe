#include "stack.hpp"

#include <ostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "environment.hpp"
#include "muc_stanzas.hpp"
#include "prosody_muc.hpp"
#include "pump.hpp"
#include "text_file.hpp"

namespace rig {
namespace {

void append_tail(std::ostringstream& out, const std::string& what,
                 const std::filesystem::path& path, std::size_t lines) {
    out << "--- last " << lines << " lines of " << what << " (" << path.string() << ")\n"
        << tail_lines(path, lines);
}

}  // namespace

StackOptions StackOptions::from_env(bool through_proxy) {
    StackOptions options;
    options.through_proxy = through_proxy;
    options.relay = relay_kind_from_env();
    options.proxy_binary = default_proxy_binary();
    options.keep_dir = env_is("E2E_KEEP", "1");
    options.prosody_module_dir = env_or("E2E_PROSODY_MODULES", options.prosody_module_dir);
    options.prosody_community_module_dir =
        env_or("E2E_PROSODY_COMMUNITY_MODULES", options.prosody_community_module_dir);
    return options;
}

Stack::Stack(bool through_proxy) : Stack(StackOptions::from_env(through_proxy)) {}

Stack::Stack(StackOptions options)
    : options_(std::move(options)), epoch_(Clock::now()), dir_(options_.keep_dir) {
    ProsodySettings server;
    server.users.insert(server.users.end(), options_.extra_users.begin(),
                        options_.extra_users.end());
    server.capable_server = options_.capable_server;
    server.module_dir = options_.prosody_module_dir;
    server.cloud_notify = options_.push_notifications;
    server.community_module_dir = options_.prosody_community_module_dir;
    prosody_ = std::make_unique<ProsodyServer>(
        dir_.path(), server,
        Deadline::in(options_.startup_timeout + Millis(100) * options_.extra_users.size()));
    std::uint16_t muc_target = prosody_->component_port();
    if (options_.through_proxy) {
        ProxySettings settings;
        settings.kind = options_.relay;
        settings.binary = options_.proxy_binary;
        settings.domain = prosody_->settings().muc_domain;
        settings.upstream_port = prosody_->component_port();
        settings.extra_config = options_.proxy_extra_config;
        proxy_ =
            std::make_unique<Proxy>(dir_.path(), settings, Deadline::in(options_.startup_timeout));
        muc_target = proxy_->listen_port();
        if (options_.shield_muc_from_stream_close) {
            filter_ = std::make_unique<StreamCloseFilter>(proxy_->listen_port());
            muc_target = filter_->port();
        }
    }
    if (options_.muc == MucKind::prosody) {
        ProsodyMucSettings muc;
        muc.domain = prosody_->settings().muc_domain;
        muc.secret = prosody_->settings().component_secret;
        muc.port = muc_target;
        muc.allow_unaffiliated_register = options_.allow_unaffiliated_register;
        muc_ = std::make_unique<ProsodyMuc>(dir_.path(), muc);
    } else {
        MuConferenceSettings muc;
        muc.domain = prosody_->settings().muc_domain;
        muc.secret = prosody_->settings().component_secret;
        muc.port = muc_target;
        muc_ = std::make_unique<MuConference>(dir_.path(), muc);
    }
    start_muc();
}

Stack::~Stack() {
    // Members go in reverse declaration order anyway; spelled out because it matters:
    // clients leave before the MUC stops, the MUC before the link, the link before Prosody.
    clients_.clear();
    muc_.reset();
    filter_.reset();
    proxy_.reset();
    prosody_.reset();
}

Client& Stack::login(const std::string& user, const std::string& resource, std::string label) {
    if (label.empty()) label = user;
    for (const auto& client : clients_) {
        if (client->label() == label) label = user + "/" + resource;
    }
    Account account;
    account.user = user;
    account.domain = domain();
    account.resource = resource;
    account.password = prosody_->settings().password;
    clients_.push_back(std::make_unique<Client>(label, account, prosody_->c2s_port(),
                                                dir_ / ("client-" + user + "-" + resource + ".log"),
                                                epoch_));
    Client& client = *clients_.back();
    bool done = pump_until(
        clients(), [&] { return client.online() || client.failed(); },
        Deadline::in(options_.startup_timeout));
    if (!client.online()) {
        throw std::runtime_error(
            client.jid() +
            " could not log in to 127.0.0.1:" + std::to_string(prosody_->c2s_port()) + ": " +
            (done ? client.failure() : std::string("timed out")) + "\n--- tail of " +
            client.log_path().string() + "\n" + tail_lines(client.log_path(), 20));
    }
    return client;
}

void Stack::logout(Client& client) {
    std::erase_if(clients_, [&](const std::unique_ptr<Client>& c) { return c.get() == &client; });
}

std::vector<Client*> Stack::clients() const {
    std::vector<Client*> all;
    for (const auto& client : clients_) all.push_back(client.get());
    return all;
}

void Stack::wait_until(const std::function<bool()>& done, const std::string& what, Millis timeout) {
    if (!pump_until(clients(), done, Deadline::in(step(timeout)))) {
        throw std::runtime_error("timed out after " + std::to_string(step(timeout).count()) +
                                 " ms waiting for " + what);
    }
}

StanzaRecord Stack::expect(const Client& who, const StanzaPattern& pattern, std::size_t since,
                           Millis timeout) {
    return expect_stanza(clients(), who, pattern, since, step(timeout));
}

void Stack::stop_muc() {
    muc_->stop();
}

void Stack::start_muc() {
    Deadline deadline = Deadline::in(options_.startup_timeout);
    muc_->start();
    muc_->wait_handshake(deadline);
    wait_muc_ready(deadline);
}

void Stack::stop_proxy(StopHow how) {
    if (!proxy_) throw std::logic_error("stop_proxy: this stack has no link");
    proxy_->stop(how);
}

void Stack::start_proxy() {
    if (!proxy_) throw std::logic_error("start_proxy: this stack has no link");
    Deadline deadline = Deadline::in(options_.startup_timeout);
    proxy_->start(deadline);
    // mu-conference's own log says nothing new when it connects again (its handshake line is
    // there from the first time), so only the round trip tells.
    wait_muc_ready(deadline);
}

// The handshake line says the component link is up; a disco#info answered by the MUC says
// the whole path works: client, Prosody, link (proxy), mu-conference and back.
void Stack::wait_muc_ready(Deadline deadline) {
    Account account;
    account.user = "probe";
    account.domain = domain();
    account.resource = "rig-" + std::to_string(++probes_);
    account.password = prosody_->settings().password;
    Client probe("probe", account, prosody_->c2s_port(),
                 dir_ / ("client-probe-" + account.resource + ".log"), epoch_);
    std::vector<Client*> only_probe{&probe};
    pump_until(
        only_probe, [&] { return probe.online() || probe.failed(); }, deadline);
    if (!probe.online()) {
        throw std::runtime_error("readiness probe could not log in: " + probe.failure());
    }
    std::string last_answer = "no answer";
    while (!deadline.passed()) {
        std::string id = probe.next_id("ready");
        std::size_t since = probe.mark();
        probe.send(muc::disco_info(muc_domain(), id));
        auto answer = StanzaPattern::iq().id(id);
        std::optional<std::size_t> found;
        pump_until(
            only_probe,
            [&] {
                found = find_received(probe, answer, since);
                return found.has_value();
            },
            deadline);
        if (!found) break;
        const StanzaRecord& reply = probe.received()[*found];
        if (reply.type == "result" && reply.from == muc_domain()) return;
        last_answer = reply.xml;
        // Not there yet (the server bounced it): ask again shortly.
        std::this_thread::sleep_for(Millis(20));
    }
    std::ostringstream why;
    why << muc_->name() << " did not answer disco#info to " << muc_domain()
        << " in time; last answer: " << last_answer << "\n";
    if (!muc_->running()) {
        why << muc_->name() << " is not running (" << muc_->process()->state()
            << "): if it died reconnecting, see rig/muconference.cpp\n";
    } else if (file_contains(muc_->process()->log_path(), "Main Channel Error: G_IO_")) {
        // jcr_read_data reconnects after an end of stream, but on G_IO_ERR/HUP/NVAL it drops
        // the connection's watch and never connects again.
        why << "mu-conference saw its connection fail (G_IO_ERR, e.g. reset because it wrote "
               "after the link died) and does not reconnect after that\n";
    }
    append_tail(why, muc_->name(), muc_->process()->log_path(), 30);
    if (proxy_) append_tail(why, proxy_->description(), proxy_->process().log_path(), 30);
    throw std::runtime_error(why.str());
}

std::string Stack::describe_path() const {
    std::ostringstream path;
    path << "clients  --c2s-->  Prosody 127.0.0.1:" << c2s_port() << " (VirtualHost " << domain()
         << ")\n";
    if (proxy_) {
        path << "Prosody component port 127.0.0.1:" << component_port() << "  <--XEP-0114--  "
             << proxy_->description() << " listening on 127.0.0.1:" << proxy_->listen_port()
             << "  <--XEP-0114--  ";
        if (filter_) {
            path << "stream close filter 127.0.0.1:" << filter_->port() << " (holds back "
                 << "</stream:stream>, " << filter_->withheld() << " so far)  <--  ";
        }
        path << muc_->name() << " (" << muc_domain() << ")\n";
    } else {
        path << "Prosody component port 127.0.0.1:" << component_port() << "  <--XEP-0114--  "
             << muc_->name() << " (" << muc_domain() << "), no proxy\n";
    }
    return path.str();
}

std::string Stack::log_tails(std::size_t lines) const {
    std::ostringstream out;
    out << "stack in " << dir_.path().string() << "\n" << describe_path();
    if (prosody_) append_tail(out, "prosody", prosody_->process().log_path(), lines);
    if (proxy_) append_tail(out, proxy_->description(), proxy_->process().log_path(), lines);
    if (muc_ && muc_->process() != nullptr) {
        append_tail(out, muc_->name(), muc_->process()->log_path(), lines);
    }
    for (const auto& client : clients_) {
        append_tail(out, "client " + client->label(), client->log_path(), lines / 2);
    }
    return out.str();
}

std::ostream& operator<<(std::ostream& out, const LogTails& tails) {
    return out << tails.stack.log_tails();
}

}  // namespace rig
