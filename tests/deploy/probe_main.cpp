// build/deploy-probe: the client side of the insertion guides' checks (tests/deploy/*.sh).
// It logs in to a server on 127.0.0.1 like any user and either asks a component for its
// disco#info, plays the offline-delivery story and says what the member's other resource
// received, or plays a push service (push_service.hpp). It prints what it saw; the scripts
// decide what a server should have done.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>

#include "../e2e/rig/client.hpp"
#include "../e2e/rig/muc_stanzas.hpp"
#include "../e2e/rig/pump.hpp"
#include "../e2e/rig/room_admin.hpp"
#include "push_service.hpp"
#include "xmpp/stream_text.hpp"

namespace {

using namespace rig;
using xmpp::escape_xml;

constexpr Millis kStep(10000);
// How long a copy may take to arrive before the story calls it not delivered. Only ever
// waited in full when a server drops or bounces copies.
constexpr Millis kCopyWait(3000);

struct Session {
    std::uint16_t port = 0;
    std::string domain;
    std::string password;
    std::string log_dir;
    Clock::time_point epoch = Clock::now();
    std::vector<std::unique_ptr<Client>> clients;

    std::vector<Client*> all() const {
        std::vector<Client*> list;
        for (const auto& client : clients) list.push_back(client.get());
        return list;
    }

    Client& login(const std::string& user, const std::string& resource) {
        Account account{.user = user, .domain = domain, .resource = resource, .password = password};
        clients.push_back(
            std::make_unique<Client>(user + "/" + resource, account, port,
                                     log_dir + "/probe-" + user + "-" + resource + ".log", epoch));
        Client& client = *clients.back();
        pump_until(
            all(), [&] { return client.online() || client.failed(); }, Deadline::in(kStep));
        if (!client.online()) {
            throw std::runtime_error(account.full_jid() + " could not log in: " +
                                     (client.failed() ? client.failure() : "timed out"));
        }
        return client;
    }

    void logout(Client& client) {
        std::erase_if(clients, [&](const auto& c) { return c.get() == &client; });
    }

    StanzaRecord expect(Client& who, const StanzaPattern& pattern, std::size_t since) {
        return expect_stanza(all(), who, pattern, since, kStep);
    }

    StanzaRecord ask(Client& who, const std::string& to, const std::string& type,
                     const std::string& payload) {
        const std::string id = who.next_id("probe");
        const std::size_t since = who.mark();
        who.send("<iq type='" + type + "' to='" + escape_xml(to) + "' id='" + id + "'>" + payload +
                 "</iq>");
        return expect(who, StanzaPattern::iq().id(id), since);
    }
};

// XEP-0357 §5: `client` asks its server to publish to JID's NODE; the server keeps the
// registration after the session ends. Prints "bob's RESOURCE enabled push: TYPE".
void enable_push(Session& session, Client& client, const std::string& jid,
                 const std::string& node) {
    StanzaRecord enabled = session.ask(client, client.account().bare_jid(), "set",
                                       "<enable xmlns='urn:xmpp:push:0' jid='" + escape_xml(jid) +
                                           "' node='" + escape_xml(node) + "'/>");
    std::cout << client.account().user << "'s " << client.account().resource
              << " enabled push: " << enabled.type << "\n";
    if (enabled.type != "result") throw std::runtime_error("push refused: " + enabled.xml);
}

// bob's RESOURCE enables stream management with resumption (XEP-0198 §5) and push, then the
// process ends without closing its stream, as a phone's app is suspended: the server keeps
// the session, waiting for a resumption that never comes (a hibernated session).
int hibernate(Session& session, const std::string& resource, const std::string& push_jid,
              const std::string& push_node) {
    Client& device = session.login("bob", resource);
    device.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
    enable_push(session, device, push_jid, push_node);
    // The server answers in order: with the ping's answer in, everything before was read.
    session.ask(device, session.domain, "get", "<ping xmlns='urn:xmpp:ping'/>");
    std::cout << "bob's " << resource << " leaves without closing its stream" << std::endl;
    std::_Exit(0);
}

int disco_info(Session& session, const std::string& to) {
    Client& probe = session.login("probe", "disco");
    StanzaRecord answer =
        session.ask(probe, to, "get", "<query xmlns='" + std::string(muc::kDiscoInfoNs) + "'/>");
    std::cout << answer.xml << "\n";
    return answer.type == "result" ? 0 : 1;
}

StanzaRecord enter(Session& session, Client& client, const std::string& occupant) {
    const std::size_t since = client.mark();
    client.send(muc::join(occupant, client.next_id("join")));
    return session.expect(
        client, StanzaPattern::presence().type("").from(occupant).status(muc::kSelfPresence),
        since);
}

void say(Session& session, Client& client, const std::string& room, const std::string& nick,
         const std::string& body) {
    const std::size_t since = client.mark();
    client.send(muc::groupchat(room, body, client.next_id("msg")));
    session.expect(client,
                   StanzaPattern::message().type("groupchat").from(room + "/" + nick).body(body),
                   since);
}

// What reached bob's laptop for one of alice's messages: the groupchat copy, or the notice
// the proxy sends instead with offline.delivery notice or auto (a one-to-one message from the
// room's bare JID whose body quotes the message).
struct Arrival {
    bool copy = false;
    std::optional<StanzaRecord> notice;

    std::string copy_line() const { return copy ? "delivered" : "not delivered"; }
    std::string notice_line() const {
        // A XEP-0203 delay: the server held it, e.g. in offline storage, rather than passing it on.
        return notice ? "type=" + notice->type + " delayed=" + (notice->has_delay ? "yes" : "no") +
                            " body=" + notice->body
                      : "none";
    }
};

Arrival look_for(const Client& laptop, const std::string& room, const std::string& occupant,
                 const std::string& text, std::size_t since) {
    Arrival seen;
    for (const auto& copy : muc::copies_at(laptop, occupant, since)) {
        if (copy.body == text) seen.copy = true;
    }
    const auto& received = laptop.received();
    for (std::size_t i = since; i < received.size(); ++i) {
        const StanzaRecord& stanza = received[i];
        if (stanza.name == "message" && stanza.type != "groupchat" && stanza.type != "error" &&
            stanza.from == room && stanza.to == laptop.account().bare_jid() &&
            stanza.body.find(text) != std::string::npos) {
            seen.notice = stanza;
        }
    }
    return seen;
}

Arrival wait_for_arrival(Session& session, const Client& laptop, const std::string& room,
                         const std::string& occupant, const std::string& text, std::size_t since) {
    Arrival seen;
    pump_until(
        session.all(),
        [&] {
            seen = look_for(laptop, room, occupant, text, since);
            return seen.copy || seen.notice.has_value();
        },
        Deadline::in(kCopyWait));
    return seen;
}

struct StoryOptions {
    std::string push_jid;  // empty: no push; else bob's phone enables XEP-0357 push to it
    std::string push_node;
};

// alice owns a room; bob's phone enters, opts in and leaves; bob's laptop never enters.
int offline_story(Session& session, const std::string& room, const StoryOptions& options) {
    Client& alice = session.login("alice", "desk");
    Client& phone = session.login("bob", "phone");
    Client* laptop = &session.login("bob", "laptop");
    const std::string bob = phone.account().bare_jid();
    if (!options.push_jid.empty()) enable_push(session, phone, options.push_jid, options.push_node);

    StanzaRecord self = enter(session, alice, room + "/alice");
    if (self.has_status(muc::kRoomCreated)) {
        StanzaRecord accepted =
            session.ask(alice, room, "set",
                        "<query xmlns='" + std::string(muc::kMucOwnerNs) +
                            "'><x xmlns='jabber:x:data' type='submit'/></query>");
        if (accepted.type != "result")
            throw std::runtime_error("instant room refused: " + accepted.xml);
    }
    enter(session, phone, room + "/bob");
    StanzaRecord form = session.ask(phone, room, "get", "<query xmlns='jabber:iq:register'/>");
    std::cout << "registration form offers the offline field: "
              << (form.xml.find(muc::kOfflineField) != std::string::npos ? "yes" : "no") << "\n";
    const auto field = [](const std::string& var, const std::string& value) {
        return "<field var='" + escape_xml(var) + "'><value>" + escape_xml(value) +
               "</value></field>";
    };
    StanzaRecord submitted =
        session.ask(phone, room, "set",
                    "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>" +
                        field("FORM_TYPE", "http://jabber.org/protocol/muc#register") +
                        field("muc#register_roomnick", "bob") + field(muc::kOfflineField, "true") +
                        "</x></query>");
    if (submitted.type != "result") throw std::runtime_error("opt-in refused: " + submitted.xml);
    std::cout << "bob opted in\n";
    const std::size_t since_leave = phone.mark();
    phone.send(muc::leave(room + "/bob", phone.next_id("leave")));
    session.expect(phone,
                   StanzaPattern::presence()
                       .type("unavailable")
                       .from(room + "/bob")
                       .status(muc::kSelfPresence),
                   since_leave);

    const std::string online_text = "while bob's laptop is online";
    const std::size_t since = laptop->mark();
    say(session, alice, room, "alice", online_text);
    const Arrival online =
        wait_for_arrival(session, *laptop, room, room + "/alice", online_text, since);
    std::cout << "copy to an online resource: " << online.copy_line() << "\n";
    std::cout << "notice to an online resource: " << online.notice_line() << "\n";

    session.logout(*laptop);
    session.logout(phone);
    const std::string offline_text = "while bob is offline";
    say(session, alice, room, "alice", offline_text);
    if (!options.push_jid.empty()) {
        // A message every server stores for an offline user: the push check's yardstick, and
        // its marker (a push for a copy would have been published before this one's).
        alice.send("<message type='chat' to='" + escape_xml(bob) + "' id='" +
                   alice.next_id("chat") +
                   "'><body>a chat message while bob is offline</body></message>");
        // alice's session routes in order: once the ping is answered, the chat was stored.
        session.ask(alice, session.domain, "get", "<ping xmlns='urn:xmpp:ping'/>");
        std::cout << "alice sent bob a chat message while he is offline\n";
    }
    laptop = &session.login("bob", "laptop");
    const Arrival offline =
        wait_for_arrival(session, *laptop, room, room + "/alice", offline_text, 0);
    std::cout << "copy while offline, at the next login: " << offline.copy_line() << "\n";
    std::cout << "notice while offline, at the next login: " << offline.notice_line() << "\n";
    std::size_t errors = 0;
    for (const auto& stanza : alice.received()) {
        if (stanza.type == "error") ++errors;
    }
    std::cout << "errors at the sender: " << errors << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"deploy-probe: a client for the insertion guides' checks"};
    app.require_subcommand(1);
    Session session;
    app.add_option("--port", session.port, "the server's c2s port on 127.0.0.1")->required();
    app.add_option("--domain", session.domain, "the users' domain")->required();
    session.password = "pw";
    app.add_option("--password", session.password, "every user's password (default pw)");
    session.log_dir = "/tmp";
    app.add_option("--log-dir", session.log_dir, "where libstrophe logs go");
    std::string target;
    CLI::App* disco = app.add_subcommand("disco-info", "probe@DOMAIN asks JID for disco#info");
    disco->add_option("jid", target)->required();
    CLI::App* story =
        app.add_subcommand("offline-story", "alice, bob's phone and laptop in ROOM (a room JID)");
    story->add_option("room", target)->required();
    StoryOptions story_options;
    story->add_option("--push-jid", story_options.push_jid,
                      "bob's phone enables XEP-0357 push to this JID first");
    story->add_option("--push-node", story_options.push_node, "the push node bob's phone names")
        ->default_val("bob-node");
    CLI::App* asleep = app.add_subcommand(
        "hibernate", "bob/RESOURCE enables stream management and push, then vanishes");
    std::string resource = "tablet";
    asleep->add_option("--resource", resource, "bob's resource (default tablet)");
    std::string asleep_push_jid;
    std::string asleep_push_node;
    asleep->add_option("--push-jid", asleep_push_jid, "the push service's JID")->required();
    asleep->add_option("--push-node", asleep_push_node, "the push node it names")
        ->default_val("tablet-node");
    CLI::App* push = app.add_subcommand(
        "push-service", "USER@DOMAIN/RESOURCE accepts and prints every push published to it");
    Account push_account{.user = "push", .domain = "", .resource = "service", .password = ""};
    push->add_option("--user", push_account.user, "the service's user (default push)");
    push->add_option("--resource", push_account.resource, "its resource (default service)");
    int push_seconds = 600;
    push->add_option("--seconds", push_seconds, "how long it serves (default 600)")
        ->check(CLI::Range(1, 86400));
    CLI11_PARSE(app, argc, argv);
    try {
        if (disco->parsed()) return disco_info(session, target);
        if (asleep->parsed()) {
            return hibernate(session, resource, asleep_push_jid, asleep_push_node);
        }
        if (push->parsed()) {
            push_account.domain = session.domain;
            push_account.password = session.password;
            return deploy::serve_push(push_account, session.port, session.log_dir, push_seconds);
        }
        return offline_story(session, target, story_options);
    } catch (const std::exception& error) {
        std::cerr << "deploy-probe: " << error.what() << "\n";
        return 2;
    }
}
