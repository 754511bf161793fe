// The operator's view of a running proxy: /metrics scraped with curl while a fake MUC and a
// fake server talk through it, /healthz, the format checked by promtool, bad requests.
#include <doctest/doctest.h>
#include <unistd.h>

#include "metrics/exposition.hpp"
#include "metrics/histogram.hpp"
#include "support/loopback.hpp"
#include "support/proxy_process.hpp"

using namespace loopback;
using namespace proxy_process;

namespace {

const std::string kRoom = "room@conference.localhost";

std::string self_presence(const std::string& nick, const std::string& full_jid,
                          const std::string& type = "") {
    return "<presence " + (type.empty() ? "" : "type='" + type + "' ") + "from='" + kRoom + "/" +
           nick + "' to='" + full_jid +
           "'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' "
           "role='participant'/><status code='110'/></x></presence>";
}

std::string groupchat(const std::string& to, const std::string& id) {
    return "<message from='" + kRoom + "/alice' to='" + to + "' type='groupchat' id='" + id +
           "'><body>secret words</body></message>";
}

const std::string kRegisterBob =
    "<iq to='" + kRoom +
    "' id='reg1' from='bob@localhost/phone' type='set'><query xmlns='jabber:iq:register'><x "
    "xmlns='jabber:x:data' type='submit'><field var='muc#register_roomnick'><value>bob</value>"
    "</field><field var='{http://tigase.org/protocol/muc}offline'><value>1</value></field></x>"
    "</query></iq>";

const std::string kBounce = "<message type='error' from='bob@localhost' to='" + kRoom +
                            "/alice' id='m2'><error type='cancel'><service-unavailable "
                            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>";

// A proxy process with metrics on, in standalone registration mode (the fake MUC has none).
struct MetricsRig {
    TempDir dir;
    ListeningSocket upstream;
    std::uint16_t link_port = free_port();
    std::uint16_t metrics_port = free_port();
    std::optional<ProxyProcess> proxy;
    Session session;  // the MUC's session, up after traffic()

    // `extra` adds top-level keys to the config ("key": value, ...).
    explicit MetricsRig(const std::string& extra = "") {
        write_file(dir.file("proxy.json"),
                   R"({"links": [{"name": "conf", "domain": ")" + kDomain +
                       R"(", "listen": {"port": )" + std::to_string(link_port) +
                       R"(}, "upstream": {"port": )" + std::to_string(upstream.port()) +
                       R"(}}], )" + (extra.empty() ? "" : extra + ", ") +
                       R"("registration": "standalone",
                "store": {"path": ")" +
                       dir.file("state.db") + R"("}, "metrics": {"listen": {"port": )" +
                       std::to_string(metrics_port) + "}}}");
        proxy.emplace(dir.file("proxy.json"), dir.file("proxy.log"));
        REQUIRE_MESSAGE(proxy->wait_for_log("metrics: serving", 10s), proxy->log());
    }
    std::string url(std::string_view path) const {
        return "http://127.0.0.1:" + std::to_string(metrics_port) + std::string(path);
    }
    std::string scrape() {
        HttpAnswer answer = curl(url("/metrics"));
        REQUIRE(answer.status == 200);
        return answer.body;
    }
    double value(const std::string& page, const std::string& series) {
        auto value = sample_value(page, series);
        INFO(series);
        REQUIRE(value);
        return *value;
    }

    // A member registers, leaves, misses a message (one copy to their bare JID), and their
    // server bounces that copy; then a component asks for a domain the link does not serve.
    void traffic() {
        session = establish_on(link_port, upstream);
        session.component.send_all(self_presence("alice", "alice@localhost/desk") +
                                   self_presence("bob", "bob@localhost/phone") +
                                   groupchat("alice@localhost/desk", "m1") +
                                   groupchat("bob@localhost/phone", "m1"));
        std::string at_server;
        REQUIRE(
            session.server.read_until(at_server, "to='bob@localhost/phone' type='groupchat'", 5s));
        session.server.send_all(kRegisterBob);
        REQUIRE(session.server.read_until(at_server, "type=\"result\"", 5s));
        session.component.send_all(self_presence("bob", "bob@localhost/phone", "unavailable") +
                                   groupchat("alice@localhost/desk", "m2"));
        REQUIRE(session.server.read_until(at_server, "to='bob@localhost' type='groupchat' id='m2'",
                                          5s));
        session.server.send_all(kBounce + "<iq type='get' id='after' to='" + kRoom + "'/>");
        std::string at_component;
        REQUIRE(session.component.read_until(at_component, "id='after'", 5s));
        CHECK(at_component.find("service-unavailable") == std::string::npos);

        Socket stranger = connect_to(link_port);
        REQUIRE(stranger.valid());
        stranger.send_all(component_header("other.localhost"));
        std::string refused;
        CHECK(stranger.read_to_eof(refused, 5s));
        CHECK(refused.find("host-unknown") != std::string::npos);
    }
};

}  // namespace

TEST_CASE("metrics: exposition text escapes labels and help; a histogram is cumulative") {
    metrics::Exposition out;
    out.family("x_total", "counter", "a \\ help\nline");
    out.sample({{"link", "a\"b\\c\nd"}}, std::uint64_t{7});
    metrics::Histogram histogram({0.1, 1});
    histogram.observe(0.05);
    histogram.observe(0.1);
    histogram.observe(0.5);
    histogram.observe(3);
    out.family("t_seconds", "histogram", "time");
    histogram.write(out);
    CHECK(out.text() ==
          "# HELP x_total a \\\\ help\\nline\n# TYPE x_total counter\n"
          "x_total{link=\"a\\\"b\\\\c\\nd\"} 7\n"
          "# HELP t_seconds time\n# TYPE t_seconds histogram\n"
          "t_seconds_bucket{le=\"0.1\"} 2\nt_seconds_bucket{le=\"1\"} 3\n"
          "t_seconds_bucket{le=\"+Inf\"} 4\nt_seconds_sum 3.65\nt_seconds_count 4\n");
}

TEST_CASE("metrics: curl scrapes the running proxy; the numbers follow the traffic") {
    MetricsRig rig;
    const std::string before = rig.scrape();
    CHECK(rig.value(before, R"(muc_offline_proxy_link_connected{link="conf"})") == 0);
    CHECK(rig.value(before,
                    R"(muc_offline_proxy_stanzas_total{link="conf",direction="to_server"})") == 0);
    CHECK(rig.value(before, R"(muc_offline_proxy_registrations{link="conf"})") == 0);
    CHECK(rig.value(before, "muc_offline_proxy_store_commit_seconds_count") == 0);
    HttpAnswer idle = curl(rig.url("/healthz"));
    CHECK(idle.status == 200);
    CHECK(idle.body == "ok\nlink conf: no component\n");

    rig.traffic();
    const std::string after = rig.scrape();
    CHECK(rig.value(after, R"(muc_offline_proxy_link_connected{link="conf"})") == 1);
    CHECK(rig.value(after, R"(muc_offline_proxy_sessions_accepted_total{link="conf"})") == 2);
    CHECK(rig.value(after, R"(muc_offline_proxy_sessions_authenticated_total{link="conf"})") == 1);
    // From the MUC: 2 presences, 3 groupchats, the leave, the proxy's register answer, the copy.
    CHECK(rig.value(after,
                    R"(muc_offline_proxy_stanzas_total{link="conf",direction="to_server"})") == 9);
    // From the server: the handshake and the iq (the submit was answered, the bounce dropped).
    CHECK(rig.value(after,
                    R"(muc_offline_proxy_stanzas_total{link="conf",direction="to_component"})") ==
          2);
    CHECK(rig.value(after,
                    R"(muc_offline_proxy_stanza_bytes_total{link="conf",direction="to_server"})") >
          500);
    CHECK(
        rig.value(
            after,
            R"(muc_offline_proxy_stream_errors_total{link="conf",to="component",condition="host-unknown"})") ==
        1);
    CHECK(rig.value(after, R"(muc_offline_proxy_registrations{link="conf"})") == 1);
    CHECK(rig.value(after, R"(muc_offline_proxy_registrations_committed_total{link="conf"})") == 1);
    CHECK(rig.value(after, R"(muc_offline_proxy_registrations_refused_total{link="conf"})") == 0);
    CHECK(rig.value(after, R"(muc_offline_proxy_registrations_restored_total{link="conf"})") == 0);
    CHECK(rig.value(after, R"(muc_offline_proxy_native_rooms_total{link="conf"})") == 0);
    // Standalone: bob's submit came without asking for the form first.
    CHECK(rig.value(after, R"(muc_offline_proxy_register_forms_augmented_total{link="conf"})") ==
          0);
    CHECK(rig.value(after, R"(muc_offline_proxy_occupant_sessions{link="conf"})") == 1);
    CHECK(rig.value(after, R"(muc_offline_proxy_messages_fanned_out_total{link="conf"})") == 1);
    CHECK(rig.value(after, R"(muc_offline_proxy_copies_sent_total{link="conf"})") == 1);
    CHECK(rig.value(after, R"(muc_offline_proxy_bounces_swallowed_total{link="conf"})") == 1);
    CHECK(rig.value(after, R"(muc_offline_proxy_paused_members{link="conf"})") == 0);
    CHECK(rig.value(after, "muc_offline_proxy_store_commit_seconds_count") >= 1);
    CHECK(rig.value(after, R"(muc_offline_proxy_store_commit_seconds_bucket{le="+Inf"})") ==
          rig.value(after, "muc_offline_proxy_store_commit_seconds_count"));
    // The loop went round while the traffic was handled, each turn observed once.
    CHECK(rig.value(after, "muc_offline_proxy_loop_busy_seconds_count") >
          rig.value(before, "muc_offline_proxy_loop_busy_seconds_count"));
    CHECK(rig.value(after, R"(muc_offline_proxy_loop_busy_seconds_bucket{le="+Inf"})") ==
          rig.value(after, "muc_offline_proxy_loop_busy_seconds_count"));
    CHECK(rig.value(after, "muc_offline_proxy_loop_busy_cpu_seconds_count") ==
          rig.value(after, "muc_offline_proxy_loop_busy_seconds_count"));
    CHECK(rig.value(after, "muc_offline_proxy_loop_busy_longest_seconds") > 0);
    CHECK(rig.value(after, "muc_offline_proxy_loop_busy_longest_seconds") <=
          rig.value(after, "muc_offline_proxy_loop_busy_seconds_sum"));

    HttpAnswer health = curl(rig.url("/healthz"));
    CHECK(health.status == 200);
    CHECK(health.body == "ok\nlink conf: component connected\n");
    // Bodies stay out of the log unless log.stanzas is on.
    CHECK(rig.proxy->log().find("secret words") == std::string::npos);
    CHECK(rig.proxy->log().find("registration of bob@localhost in " + kRoom +
                                " committed: offline on") != std::string::npos);
    CHECK(rig.proxy->stop() == 0);
}

TEST_CASE(
    "metrics: under delivery auto the bounce switches the member; the next message is a "
    "notice, counted; the log says so once") {
    MetricsRig rig(R"("offline": {"delivery": "auto", "notice": {"min_interval_s": 0}})");
    rig.traffic();
    rig.session.component.send_all(groupchat("alice@localhost/desk", "m3"));
    std::string at_server;
    REQUIRE(rig.session.server.read_until(
        at_server, "<message from='" + kRoom + "' to='bob@localhost' type='chat'", 5s));
    const std::string page = rig.scrape();
    CHECK(rig.value(page, R"(muc_offline_proxy_members_switched_to_notices_total{link="conf"})") ==
          1);
    CHECK(rig.value(page, R"(muc_offline_proxy_notices_sent_total{link="conf"})") == 1);
    CHECK(rig.value(page, R"(muc_offline_proxy_notices_suppressed_total{link="conf"})") == 0);
    CHECK(rig.value(page, R"(muc_offline_proxy_copies_sent_total{link="conf"})") == 1);
    CHECK(rig.proxy->log().find("offline delivery to bob@localhost switched to notices: its "
                                "server refused a copy (service-unavailable)") !=
          std::string::npos);
    CHECK(rig.proxy->stop() == 0);
    CHECK(rig.proxy->log().find("notices sent 1; notices suppressed 0; members switched to "
                                "notices 1") != std::string::npos);
}

TEST_CASE("metrics: promtool accepts the page" *
          doctest::skip(access("/usr/bin/promtool", X_OK) != 0)) {
    MetricsRig rig;
    rig.traffic();
    write_file(rig.dir.file("page.txt"), rig.scrape());
    CommandResult check = run_command("promtool check metrics < " + rig.dir.file("page.txt"));
    INFO(check.output);
    CHECK(check.status == 0);
    CHECK(check.output.empty());  // no lint complaints either
}

TEST_CASE("metrics: other paths, methods and oversized requests get their HTTP answer") {
    MetricsRig rig;
    CHECK(curl(rig.url("/nothing")).status == 404);
    CHECK(curl(rig.url("/metrics"), "POST").status == 405);
    CHECK(curl(rig.url("/metrics?name[]=x")).status == 200);
    Socket head = connect_to(rig.metrics_port);
    head.send_all("HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    std::string head_answer;
    CHECK(head.read_to_eof(head_answer, 5s));
    CHECK(head_answer.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(head_answer.find("Content-Length: 27\r\n") != std::string::npos);
    CHECK(head_answer.substr(head_answer.size() - 4) == "\r\n\r\n");  // no body

    // A request head over the bound is answered 431 and the connection closed.
    Socket big = connect_to(rig.metrics_port);
    REQUIRE(big.valid());
    big.send_all("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(9000, 'p') +
                 "\r\n\r\n");
    std::string answer;
    CHECK(big.read_to_eof(answer, 5s));
    CHECK(answer.rfind("HTTP/1.1 431 ", 0) == 0);

    // Not HTTP at all: 400, closed.
    Socket garbage = connect_to(rig.metrics_port);
    garbage.send_all("\x16\x03\x01 hello\r\n\r\n");
    answer.clear();
    CHECK(garbage.read_to_eof(answer, 5s));
    CHECK(answer.rfind("HTTP/1.1 400 ", 0) == 0);

    // Two requests on one connection (keep-alive), answered in order.
    Socket kept = connect_to(rig.metrics_port);
    kept.send_all(
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n"
        "Connection: close\r\n\r\n");
    answer.clear();
    CHECK(kept.read_to_eof(answer, 5s));
    CHECK(answer.rfind("HTTP/1.1 200 OK", 0) == 0);
    CHECK(answer.find("HTTP/1.1 404 Not Found") != std::string::npos);
}

TEST_CASE("metrics: a stream error from a peer is relayed, logged and counted by side") {
    MetricsRig rig;
    Session session = establish_on(rig.link_port, rig.upstream);
    const std::string error =
        "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text "
        "xmlns='urn:ietf:params:xml:ns:xmpp-streams'>replaced</text></stream:error>";
    session.server.send_all(error + "</stream:stream>");
    std::string at_component;
    CHECK(session.component.read_until(at_component, "</stream:stream>", 5s));
    CHECK(at_component == error + "</stream:stream>");
    CHECK(rig.proxy->wait_for_log("link conf: session 1: the server sent stream error <conflict/>",
                                  5s));
    const std::string page = rig.scrape();
    CHECK(
        rig.value(
            page,
            R"(muc_offline_proxy_peer_stream_errors_total{link="conf",from="server",condition="conflict"})") ==
        1);
}

TEST_CASE("metrics: a submit 100,000 elements deep is refused on the wire, logged and counted") {
    MetricsRig rig;
    Session session = establish_on(rig.link_port, rig.upstream);
    std::string nesting;
    for (int i = 0; i < 100000; ++i) nesting += "<a>";
    for (int i = 0; i < 100000; ++i) nesting += "</a>";
    std::string deep = kRegisterBob;
    deep.insert(deep.find("<value>1</value>"), nesting);  // about 700 KB, under 1 MiB
    session.server.send_all(deep + "<iq type='get' id='after' to='" + kRoom + "'/>");
    std::string at_server;
    REQUIRE(session.server.read_until(at_server, "</iq>", 10s));
    CHECK(at_server.find("policy-violation") != std::string::npos);
    CHECK(at_server.find("limits.max_depth") != std::string::npos);
    std::string at_component;
    REQUIRE(session.component.read_until(at_component, "id='after'", 10s));
    CHECK(at_component.find("reg1") == std::string::npos);  // the submit never reached the MUC
    CHECK(rig.proxy->wait_for_log("limits.max_depth", 5s));
    const std::string page = rig.scrape();
    CHECK(rig.value(
              page,
              R"(muc_offline_proxy_tree_limit_refusals_total{link="conf",limit="max_depth"})") ==
          1);
    CHECK(
        rig.value(
            page,
            R"(muc_offline_proxy_tree_limit_refusals_total{link="conf",limit="max_attributes"})") ==
        0);
    CHECK(rig.value(page, R"(muc_offline_proxy_link_connected{link="conf"})") == 1);
}
