// The relay's sockets between a fake MUC and a fake server on loopback: transparency through
// real reads and writes, backpressure, disconnects, timers, the upstream connection, capture
// and shutdown. The session's rules themselves (stream errors, limits, persist) are tested
// deterministically on the core, in component_session_test.
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "support/loopback.hpp"
#include "support/muc_traffic.hpp"
#include "xmpp/handshake.hpp"

using namespace loopback;
using test_support::traffic;

namespace {

void send_in_random_chunks(Socket& socket, const std::string& bytes, unsigned seed) {
    std::mt19937 random(seed);
    for (std::size_t at = 0; at < bytes.size();) {
        std::size_t n = std::min<std::size_t>(bytes.size() - at, 1 + random() % 3000);
        socket.send_all(std::string_view(bytes).substr(at, n));
        at += n;
    }
}

}  // namespace

TEST_CASE("relay: header and handshake pass untouched, then stanzas byte for byte both ways") {
    ListeningSocket upstream;
    ProxyThread proxy(test_link(upstream.port()));
    Session session = establish(proxy, upstream);
    CHECK(proxy.counters().sessions_authenticated == 1);

    const std::string up = traffic(2000, 1);
    const std::string down = traffic(2000, 2);
    std::thread writer([&] { send_in_random_chunks(session.component, up, 3); });
    send_in_random_chunks(session.server, down, 4);
    std::string at_server, at_component;
    CHECK(session.server.read_exactly(at_server, up.size(), 10s));
    CHECK(session.component.read_exactly(at_component, down.size(), 10s));
    writer.join();
    CHECK((at_server == up));
    CHECK((at_component == down));

    // The closing tag is relayed, then the closed connection.
    session.component.send_all("</stream:stream>");
    std::string tail;
    CHECK(session.server.read_until(tail, "</stream:stream>", 5s));
    session.server.send_all("</stream:stream>");
    session.server.close();
    std::string component_tail;
    CHECK(session.component.read_to_eof(component_tail, 5s));
    CHECK(component_tail == "</stream:stream>");
}

TEST_CASE("relay: a whitespace keepalive alone is relayed at once") {
    ListeningSocket upstream;
    ProxyThread proxy(test_link(upstream.port()));
    Session session = establish(proxy, upstream);
    session.component.send_all(" ");
    std::string received;
    CHECK(session.server.read_exactly(received, 1, 2s));
    CHECK(received == " ");
}

TEST_CASE(
    "relay: a stalled server stops the proxy reading, memory stays bounded, nothing is lost") {
    ListeningSocket upstream;
    config::Link link = test_link(upstream.port());
    link.limits.write_queue_high_bytes = 256 * 1024;
    link.limits.write_queue_low_bytes = 64 * 1024;
    ProxyThread proxy(link);
    Session session = establish(proxy, upstream);

    // The server reads nothing while the MUC writes as fast as the kernel takes it.
    const std::string stanza =
        "<message to='a@b/c' type='groupchat'><body>" + std::string(600, 'y') + "</body></message>";
    std::string batch;
    for (int i = 0; i < 64; ++i) batch += stanza;
    std::string written, pending;
    auto last_progress = std::chrono::steady_clock::now();
    while (written.size() < 64 * 1024 * 1024) {
        if (pending.empty()) pending = batch;
        std::size_t n = session.component.send_some_nonblocking(pending);
        written.append(pending, 0, n);
        pending.erase(0, n);
        if (n > 0) {
            last_progress = std::chrono::steady_clock::now();
            continue;
        }
        if (std::chrono::steady_clock::now() - last_progress < 500ms) {
            std::this_thread::sleep_for(1ms);
            continue;
        }
        // The MUC can write no more: the relay stopped reading it.
        CHECK(proxy.counters().read_pauses >= 1);
        // It holds at most the high watermark plus one read's worth in its queues.
        CHECK(proxy.counters().queue_peak_bytes <= 256 * 1024 + 128 * 1024);
        written += pending;
        std::thread finisher([&session, pending] { session.component.send_all(pending); });
        std::string at_server;
        CHECK(session.server.read_exactly(at_server, written.size(), 30s));
        finisher.join();
        CHECK(at_server.size() == written.size());
        CHECK((at_server == written));  // not printed: megabytes
        return;
    }
    FAIL("64 MiB went through without the server reading: no backpressure");
}

TEST_CASE(
    "relay: when the MUC disconnects, the server gets what was sent, then the connection closes") {
    ListeningSocket upstream;
    ProxyThread proxy(test_link(upstream.port()));
    Session session = establish(proxy, upstream);
    const std::string last = traffic(300, 7);
    session.component.send_all(last);
    session.component.close();
    std::string at_server;
    CHECK(session.server.read_to_eof(at_server, 5s));
    CHECK((at_server == last));
}

TEST_CASE(
    "relay: when the server disconnects, the MUC gets what was sent, then the connection closes") {
    ListeningSocket upstream;
    ProxyThread proxy(test_link(upstream.port()));
    Session session = establish(proxy, upstream);
    const std::string last =
        traffic(300, 8) +
        "<stream:error><conflict "
        "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>";
    session.server.send_all(last);
    session.server.close();
    std::string at_component;
    CHECK(session.component.read_to_eof(at_component, 5s));
    CHECK((at_component == last));
}

TEST_CASE("relay: the MUC reconnects and is relayed again") {
    ListeningSocket upstream;
    ProxyThread proxy(test_link(upstream.port()));
    {
        Session first = establish(proxy, upstream);
        first.component.close();
        std::string rest;
        CHECK(first.server.read_to_eof(rest, 5s));
    }
    Session second = establish(proxy, upstream);
    second.component.send_all("<presence/>");
    std::string at_server;
    CHECK(second.server.read_exactly(at_server, 11, 5s));
    CHECK(at_server == "<presence/>");
    CHECK(proxy.counters().sessions_authenticated == 2);
}

TEST_CASE(
    "relay: a stream to another domain is refused with host-unknown, the server never sees it") {
    ListeningSocket upstream;
    ProxyThread proxy(test_link(upstream.port()));
    Socket component = connect_to(proxy.port());
    component.send_all(component_header("other.example.org"));
    std::string answer;
    CHECK(component.read_to_eof(answer, 5s));
    CHECK(answer.starts_with("<?xml version='1.0'?><stream:stream "));
    CHECK(answer.find("from='conference.localhost'") != std::string::npos);
    CHECK(answer.find("<host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>") !=
          std::string::npos);
    CHECK(answer.ends_with("</stream:stream>"));
    CHECK_FALSE(upstream.accept(200ms).valid());

    // The domain is compared after nameprep: case does not matter.
    Socket again = connect_to(proxy.port());
    again.send_all(component_header("Conference.LOCALHOST"));
    CHECK(upstream.accept(5s).valid());
}

TEST_CASE("relay: an unreachable server is reported to the MUC as remote-connection-failed") {
    std::uint16_t closed_port;
    {
        ListeningSocket gone;
        closed_port = gone.port();
    }
    ProxyThread proxy(test_link(closed_port));
    Socket component = connect_to(proxy.port());
    component.send_all(component_header());
    std::string answer;
    CHECK(component.read_to_eof(answer, 5s));
    CHECK(answer.find("<remote-connection-failed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>") !=
          std::string::npos);
    CHECK(proxy.counters().upstream_failures == 1);
}

TEST_CASE(
    "relay: an upstream host the resolver refuses at once is remote-connection-failed, and the "
    "session is freed only after its sockets have closed") {
    // Past config validation (a config::Link built by hand): libuv refuses a 300-byte name
    // synchronously (UV_EINVAL) instead of calling back.
    config::Link link = test_link(5347);
    link.upstream.host = std::string(300, 'a');
    ProxyThread proxy(link);
    for (int attempt = 0; attempt < 3; ++attempt) {
        Socket component = connect_to(proxy.port());
        REQUIRE(component.valid());
        component.send_all(component_header());
        std::string answer;
        CHECK(component.read_to_eof(answer, 5s));
        CHECK(answer.find(
                  "<remote-connection-failed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>") !=
              std::string::npos);
    }
    CHECK(proxy.counters().upstream_failures == 3);
    // The loop still runs: each session was released once, after its close callbacks.
    std::size_t sessions = 1;
    for (int i = 0; i < 100 && sessions != 0; ++i) {
        proxy.run_on_loop([&] { sessions = proxy.sessions(); });
        if (sessions != 0) std::this_thread::sleep_for(10ms);
    }
    CHECK(sessions == 0);
}

TEST_CASE("relay: a MUC that does not finish the handshake in time is dropped") {
    ListeningSocket upstream;
    config::Link link = test_link(upstream.port());
    link.limits.handshake_timeout_ms = 300;
    ProxyThread proxy(link);
    Socket component = connect_to(proxy.port());
    component.send_all(component_header());
    Socket server = upstream.accept(5s);
    REQUIRE(server.valid());
    server.send_all(server_header("t1"));
    std::string at_component, at_server;
    CHECK(component.read_to_eof(at_component, 5s));
    CHECK(at_component.find("<connection-timeout ") != std::string::npos);
    CHECK(server.read_to_eof(at_server, 5s));
    CHECK(at_server == component_header() + "</stream:stream>");
}

TEST_CASE(
    "relay: graceful shutdown flushes, tells the MUC system-shutdown and closes the server's "
    "stream") {
    ListeningSocket upstream;
    auto proxy = std::make_unique<ProxyThread>(test_link(upstream.port()));
    Session session = establish(*proxy, upstream);
    const std::string last = traffic(200, 9);
    session.component.send_all(last);
    std::string at_server;
    REQUIRE(session.server.read_exactly(at_server, last.size(), 5s));
    proxy->shut_down();
    std::string at_component;
    CHECK(session.component.read_to_eof(at_component, 5s));
    CHECK(at_component.find("<system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>") !=
          std::string::npos);
    CHECK(session.server.read_to_eof(at_server, 5s));
    CHECK((at_server == last + "</stream:stream>"));
    CHECK(connect_to(proxy->port()).valid() == false);
}

TEST_CASE("relay: --capture records every chunk read, in the reference capture format") {
    char directory[] = "/tmp/capture-test-XXXXXX";
    REQUIRE(mkdtemp(directory) != nullptr);
    // Removed however the test ends.
    std::unique_ptr<char, void (*)(char*)> cleanup(
        directory, [](char* dir) { std::filesystem::remove_all(dir); });
    const std::string path = std::string(directory) + "/link.jsonl";
    const std::string up = traffic(100, 11) + "<message><body>caf\xc3\xa9";
    const std::string down = traffic(100, 12);
    {
        ListeningSocket upstream;
        ProxyThread proxy(test_link(upstream.port()), nullptr, path);
        Session session = establish(proxy, upstream);
        // Cut the last character in two so the capture must carry half of it to the next record.
        session.component.send_all(up.substr(0, up.size() - 1));
        std::this_thread::sleep_for(
            50ms);  // most likely two reads; the records must join up either way
        session.component.send_all(up.substr(up.size() - 1) + "</body></message>");
        std::string at_server;
        REQUIRE(session.server.read_exactly(at_server, up.size() + 17, 5s));
        session.server.send_all(down);
        std::string at_component;
        REQUIRE(session.component.read_exactly(at_component, down.size(), 5s));
    }
    std::ifstream file(path);
    std::string line, to_server, to_component;
    double last_t = -1;
    int records = 0;
    while (std::getline(file, line)) {
        nlohmann::json record = nlohmann::json::parse(line);
        CHECK(record["t"].get<double>() >= last_t);
        last_t = record["t"].get<double>();
        CHECK(record["link"] == "test");
        CHECK(record["session"] == 1);
        (record["dir"] == "component->server" ? to_server : to_component) +=
            record["data"].get<std::string>();
        ++records;
    }
    CHECK(records >= 6);
    const std::string handshake =
        "<handshake>" + xmpp::handshake_digest("s1d", "secret") + "</handshake>";
    CHECK((to_server == component_header() + handshake + up + "</body></message>"));
    CHECK((to_component == server_header("s1d") + "<handshake/>" + down));
}

namespace {

// Like the offline feature: a groupchat message's copies (one per member) go out once the next
// stanza shows its broadcast is over, or at the end of the read.
struct CopiesToMembers : xmpp::StanzaFilter {
    std::size_t members;
    std::string pending_id;
    explicit CopiesToMembers(std::size_t member_count) : members(member_count) {}

    static std::string copy(std::string_view id, std::size_t member) {
        return "<message type='groupchat' to='member" + std::to_string(member) +
               "@localhost' id='" + std::string(id) + "'><body>hello</body></message>";
    }
    void on_stanza(xmpp::Direction direction, const xmpp::Stanza& stanza, xmpp::Moment,
                   xmpp::Decisions& out) override {
        if (direction == xmpp::Direction::to_server) {
            send_copies(out);
            if (stanza.top.name.local == "message")
                pending_id = std::string(stanza.top.attribute("id"));
        }
        out.forward(direction);
    }
    void on_batch_end(xmpp::Direction direction, xmpp::Moment, xmpp::Decisions& out) override {
        if (direction == xmpp::Direction::to_server) send_copies(out);
    }
    void send_copies(xmpp::Decisions& out) {
        if (pending_id.empty()) return;
        for (std::size_t m = 0; m < members; ++m)
            out.inject(xmpp::Direction::to_server, copy(pending_id, m));
        pending_id.clear();
    }
};

}  // namespace

TEST_CASE(
    "relay: a read's fan-out counts against the high watermark as it is queued; after the "
    "stall every stanza and copy arrives once, in order") {
    static constexpr std::size_t kMembers = 200;
    constexpr int kMessages = 1500;
    // With a small receive buffer the server's socket fills: a stall. With loopback's own
    // (tens of megabytes) the socket takes each queue at once, and what the watermark kept of
    // a read must still be handled without a write to call back.
    int receive_buffer = 0;
    SUBCASE("the server's socket fills") {
        receive_buffer = 64 * 1024;
    }
    SUBCASE("the server's socket takes everything at once") {
        receive_buffer = 0;
    }
    ListeningSocket upstream(receive_buffer);
    config::Link link = test_link(upstream.port());
    link.limits.write_queue_high_bytes = 64 * 1024;
    link.limits.write_queue_low_bytes = 16 * 1024;
    ProxyThread proxy(link, [](const config::Link&) {
        auto chain = std::make_unique<xmpp::FilterChain>();
        chain->add(std::make_shared<CopiesToMembers>(kMembers));
        return chain;
    });
    Session session = establish(proxy, upstream);

    std::string from_muc, expected;
    std::size_t largest_stanza = 0, largest_fanout = 0;
    for (int i = 0; i < kMessages; ++i) {
        const std::string id = "m" + std::to_string(i);
        const std::string stanza =
            "<message type='groupchat' id='" + id + "'><body>hello</body></message>";
        from_muc += stanza;
        expected += stanza;
        std::size_t fanout = 0;
        for (std::size_t m = 0; m < kMembers; ++m) {
            const std::string copy = CopiesToMembers::copy(id, m);
            expected += copy;
            fanout += copy.size();
        }
        largest_stanza = std::max(largest_stanza, stanza.size());
        largest_fanout = std::max(largest_fanout, fanout);
    }
    // The server reads nothing until the proxy has stopped reading the MUC.
    session.component.send_all(from_muc);
    for (int i = 0; i < 1000 && proxy.counters().read_pauses == 0; ++i)
        std::this_thread::sleep_for(10ms);
    REQUIRE(proxy.counters().read_pauses >= 1);

    std::string at_server;
    CHECK(session.server.read_exactly(at_server, expected.size(), 30s));
    CHECK(at_server.size() == expected.size());
    CHECK((at_server == expected));  // not printed: megabytes
    const std::size_t bound = link.limits.write_queue_high_bytes + largest_stanza + largest_fanout;
    INFO("queue peak " << proxy.counters().queue_peak_bytes.load() << ", bound " << bound);
    CHECK(proxy.counters().queue_peak_bytes.load() <= bound);
}

namespace {

// Counts the stanzas it forwards and, at each prepare_ahead(), how many it had forwarded.
struct PreparingFilter : xmpp::StanzaFilter {
    std::atomic<int> stanzas{0};
    std::atomic<int> prepared{0};
    std::atomic<int> stanzas_when_prepared{-1};
    void on_stanza(xmpp::Direction direction, const xmpp::Stanza&, xmpp::Moment,
                   xmpp::Decisions& out) override {
        ++stanzas;
        out.forward(direction);
    }
    void prepare_ahead() override {
        stanzas_when_prepared = stanzas.load();
        ++prepared;
    }
};

}  // namespace

TEST_CASE("relay: after each read's stanzas are written, the filters prepare ahead") {
    ListeningSocket upstream;
    auto filter = std::make_shared<PreparingFilter>();
    ProxyThread proxy(test_link(upstream.port()), [filter](const config::Link&) {
        auto chain = std::make_unique<xmpp::FilterChain>();
        chain->add(filter);
        return chain;
    });
    Session session = establish(proxy, upstream);
    for (int i = 1; i <= 3; ++i) {
        const int prepared_before = filter->prepared.load();
        const std::string stanza =
            "<message type='groupchat' id='p" + std::to_string(i) + "'><body>x</body></message>";
        session.component.send_all(stanza);
        std::string at_server;
        REQUIRE(session.server.read_exactly(at_server, stanza.size(), 5s));
        CHECK(at_server == stanza);
        for (int wait = 0; wait < 500 && filter->prepared.load() == prepared_before; ++wait)
            std::this_thread::sleep_for(10ms);
        CHECK(filter->prepared.load() > prepared_before);
        CHECK(filter->stanzas_when_prepared.load() == i);
    }
}
