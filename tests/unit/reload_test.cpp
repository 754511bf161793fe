// SIGHUP on a running proxy process: the new config applies without dropping the links it
// did not change; a broken file is refused with check-config's message and changes nothing.
#include <doctest/doctest.h>
#include <signal.h>

#include "support/built_proxy.hpp"
#include "support/loopback.hpp"
#include "support/proxy_process.hpp"

using namespace loopback;
using namespace proxy_process;

namespace {

struct LinkSpec {
    std::string name;
    std::string domain;
    std::uint16_t listen;
    std::string limits = "";     // extra JSON for the link, e.g. `, "limits": {...}`
    std::uint16_t upstream = 0;  // 0: the rig's server
};

std::string config_text(const std::vector<LinkSpec>& links, std::uint16_t upstream,
                        const std::string& store, std::uint16_t metrics,
                        const std::string& extra = "") {
    std::string text = R"({"links": [)";
    for (std::size_t i = 0; i < links.size(); ++i) {
        text += (i > 0 ? "," : "") + std::string(R"({"name": ")") + links[i].name +
                R"(", "domain": ")" + links[i].domain + R"(", "listen": {"port": )" +
                std::to_string(links[i].listen) + R"(}, "upstream": {"port": )" +
                std::to_string(links[i].upstream != 0 ? links[i].upstream : upstream) + "}" +
                links[i].limits + "}";
    }
    return text + R"(], "store": {"path": ")" + store + R"("}, "metrics": {"listen": {"port": )" +
           std::to_string(metrics) + "}}" + extra + "}";
}

// A message each way on an established session, byte for byte.
void relays_both_ways(Session& session, const std::string& tag) {
    const std::string up = "<message to='a@localhost/x' id='" + tag + "-up'/>";
    const std::string down =
        "<message from='a@localhost/x' to='room@" + kDomain + "' id='" + tag + "-down'/>";
    session.component.send_all(up);
    session.server.send_all(down);
    std::string at_server, at_component;
    CHECK(session.server.read_exactly(at_server, up.size(), 5s));
    CHECK(at_server == up);
    CHECK(session.component.read_exactly(at_component, down.size(), 5s));
    CHECK(at_component == down);
}

std::string stanza_of(std::size_t bytes) {
    const std::string open = "<message to='a@localhost/x'><body>";
    const std::string close = "</body></message>";
    return open + std::string(bytes - open.size() - close.size(), 'z') + close;
}

struct ReloadRig {
    TempDir dir;
    ListeningSocket upstream;
    std::uint16_t port_a = free_port(), port_b = free_port(), port_c = free_port();
    std::uint16_t metrics_port = free_port();
    std::string config = dir.file("proxy.json");
    std::optional<ProxyProcess> proxy;

    ReloadRig() {
        write_file(config, config_text({{"a", kDomain, port_a}, {"b", "b.localhost", port_b}},
                                       upstream.port(), dir.file("state.db"), metrics_port));
        proxy.emplace(config, dir.file("proxy.log"));
        REQUIRE_MESSAGE(proxy->wait_for_log("metrics: serving", 10s), proxy->log());
    }
    std::string scrape() {
        return curl("http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics").body;
    }
    double reloads(const std::string& result) {
        auto value = sample_value(
            scrape(), R"(muc_offline_proxy_config_reloads_total{result=")" + result + "\"}");
        return value ? *value : -1;
    }
};

}  // namespace

TEST_CASE("reload: SIGHUP changes limits, removes and adds links; the unchanged link stays up") {
    ReloadRig rig;
    Session session = establish_on(rig.port_a, rig.upstream);
    relays_both_ways(session, "before");

    const std::uint16_t moved_metrics = free_port();
    // a: a smaller stanza limit; b: gone; c: new; metrics on another port.
    write_file(rig.config,
               config_text({{"a", kDomain, rig.port_a, R"(, "limits": {"max_stanza_bytes": 2048})"},
                            {"c", "c.localhost", rig.port_c}},
                           rig.upstream.port(), rig.dir.file("state.db"), moved_metrics,
                           R"(, "log": {"stanzas": true})"));
    rig.proxy->send_signal(SIGHUP);
    REQUIRE_MESSAGE(rig.proxy->wait_for_log("SIGHUP: config reloaded", 10s), rig.proxy->log());
    const std::string log = rig.proxy->log();
    CHECK(log.find("id='before-up'") == std::string::npos);
    CHECK(log.find("links unchanged: none; updated: a; restarted: none; added: c; removed: b") !=
          std::string::npos);
    // The metrics endpoint moved.
    CHECK(curl("http://127.0.0.1:" + std::to_string(rig.metrics_port) + "/healthz").status == 0);
    rig.metrics_port = moved_metrics;
    CHECK(curl("http://127.0.0.1:" + std::to_string(rig.metrics_port) + "/healthz").status == 200);

    // The session of the unchanged link was not dropped; it keeps the framer it started with.
    relays_both_ways(session, "after");
    // log.stanzas, now on, shows them whole.
    CHECK(
        rig.proxy->wait_for_log("relayed to the server: <message to='a@localhost/x' "
                                "id='after-up'/>",
                                5s));
    const std::string big = stanza_of(4096);
    session.component.send_all(big);
    std::string at_server;
    CHECK(session.server.read_exactly(at_server, big.size(), 5s));
    CHECK(at_server == big);

    // A new session on the link gets the new limit.
    Session fresh = establish_on(rig.port_a, rig.upstream);
    fresh.component.send_all(big);
    std::string refused;
    CHECK(fresh.component.read_until(refused, "policy-violation", 5s));

    // b no longer accepts; c does and relays to the server.
    CHECK_FALSE(connect_to(rig.port_b).valid());
    Socket at_c = connect_to(rig.port_c);
    REQUIRE(at_c.valid());
    at_c.send_all(component_header("c.localhost"));
    Socket c_upstream = rig.upstream.accept(5s);
    REQUIRE(c_upstream.valid());
    std::string header;
    CHECK(c_upstream.read_exactly(header, component_header("c.localhost").size(), 5s));
    CHECK(header == component_header("c.localhost"));

    CHECK(rig.reloads("applied") == 1);
    CHECK(rig.reloads("refused") == 0);
    CHECK(rig.proxy->stop() == 0);
}

TEST_CASE("reload: a restarted link ends its sessions gracefully and listens on its new port") {
    ReloadRig rig;
    Session session = establish_on(rig.port_a, rig.upstream);
    const std::uint16_t moved = free_port();
    ListeningSocket other_server;  // b moves to another server, on the same listen port
    write_file(rig.config,
               config_text({{"a", kDomain, moved},
                            {"b", "b.localhost", rig.port_b, "", other_server.port()}},
                           rig.upstream.port(), rig.dir.file("state.db"), rig.metrics_port));
    rig.proxy->send_signal(SIGHUP);
    REQUIRE_MESSAGE(rig.proxy->wait_for_log("SIGHUP: config reloaded", 10s), rig.proxy->log());
    CHECK(rig.proxy->log().find("links unchanged: none; updated: none; restarted: a, b;") !=
          std::string::npos);
    std::string tail;
    CHECK(session.component.read_to_eof(tail, 5s));
    CHECK(tail.find("<system-shutdown") != std::string::npos);
    CHECK_FALSE(connect_to(rig.port_a).valid());
    Session moved_session = establish_on(moved, rig.upstream);
    relays_both_ways(moved_session, "moved");
    // b listens again on the same port and connects to its new server.
    Socket at_b = connect_to(rig.port_b);
    REQUIRE(at_b.valid());
    at_b.send_all(component_header("b.localhost"));
    Socket b_server = other_server.accept(5s);
    REQUIRE(b_server.valid());
    std::string header;
    CHECK(b_server.read_exactly(header, component_header("b.localhost").size(), 5s));
    CHECK(rig.proxy->stop() == 0);
}

TEST_CASE("reload: an invalid file is refused with check-config's message; nothing changes") {
    ReloadRig rig;
    Session session = establish_on(rig.port_a, rig.upstream);
    write_file(rig.config, R"({"links": [{"domain": "x", "listen": {"port": 1}, "upstream":
                              {"port": "abc"}}]})");
    const CommandResult check =
        run_command(test_support::built_proxy() + " check-config " + rig.config);
    CHECK(check.status == 1);
    const std::string prefix = "muc-offline-proxy: ";
    REQUIRE(check.output.rfind(prefix, 0) == 0);
    const std::string message =
        check.output.substr(prefix.size(), check.output.size() - prefix.size() - 1);
    CHECK(message ==
          rig.config + R"(: links[0].upstream.port: expected an integer 1-65535, got "abc")");

    rig.proxy->send_signal(SIGHUP);
    REQUIRE_MESSAGE(rig.proxy->wait_for_log("reload refused", 10s), rig.proxy->log());
    CHECK(rig.proxy->log().find("SIGHUP: reload refused, still running the previous config: " +
                                message + "\n") != std::string::npos);
    CHECK(rig.proxy->running());
    relays_both_ways(session, "still");
    CHECK(connect_to(rig.port_b).valid());
    CHECK(rig.reloads("refused") == 1);
    CHECK(rig.reloads("applied") == 0);
    CHECK(rig.proxy->stop() == 0);
}

TEST_CASE("reload: a link that cannot listen is reported and unhealthy; the next reload retries") {
    ReloadRig rig;
    Session session = establish_on(rig.port_a, rig.upstream);
    auto taken = std::make_unique<ListeningSocket>();  // someone else's port
    write_file(rig.config,
               config_text({{"a", kDomain, rig.port_a}, {"c", "c.localhost", taken->port()}},
                           rig.upstream.port(), rig.dir.file("state.db"), rig.metrics_port));
    rig.proxy->send_signal(SIGHUP);
    REQUIRE_MESSAGE(rig.proxy->wait_for_log("SIGHUP: config reloaded", 10s), rig.proxy->log());
    CHECK(rig.proxy->log().find(
              "SIGHUP: link 'c': listen 127.0.0.1:" + std::to_string(taken->port()) +
              ": address already in use: the link is down") != std::string::npos);
    const std::string url = "http://127.0.0.1:" + std::to_string(rig.metrics_port) + "/healthz";
    HttpAnswer health = curl(url);
    CHECK(health.status == 503);
    CHECK(health.body ==
          "not accepting component connections\nlink a: component connected\nlink c: not "
          "accepting\n");
    CHECK(rig.reloads("refused") == 1);
    relays_both_ways(session, "kept");

    taken.reset();
    rig.proxy->send_signal(SIGHUP);
    REQUIRE(rig.proxy->wait_for_log("SIGHUP: config reloaded", 10s, 2));
    CHECK(rig.proxy->log().find("links unchanged: a; updated: none; restarted: c;") !=
          std::string::npos);
    health = curl(url);
    CHECK(health.status == 200);
    CHECK(health.body == "ok\nlink a: component connected\nlink c: no component\n");
    relays_both_ways(session, "still");
    CHECK(rig.proxy->stop() == 0);
}
