#include "config/config.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

// The error message, or "<valid>" so a config that wrongly passes fails the CHECK readably.
std::string error_of(const std::string& text) {
    const auto result = config::parse_config(text);
    if (result.config) return "<valid>";
    REQUIRE(result.error);
    return result.error->message;
}

std::string load_error_of(const std::string& path) {
    const auto result = config::load_config_file(path);
    if (result.config) return "<valid>";
    REQUIRE(result.error);
    return result.error->message;
}

config::Config parsed(const std::string& text) {
    const auto result = config::parse_config(text);
    INFO((result.error ? result.error->message : std::string()));
    REQUIRE(result.config);
    return *result.config;
}

const std::string kMinimal = R"({
  "links": [
    {"domain": "conference.example.org", "listen": {"port": 5348}, "upstream": {"port": 5347}}
  ]
})";

const std::string kFull = R"({
  "links": [
    {
      "name": "conf",
      "domain": "Conference.Example.ORG.",
      "listen": {"host": "127.0.0.2", "port": 5348},
      "upstream": {"host": "xmpp.example.org", "port": 5347},
      "limits": {"max_stanza_bytes": 4096, "write_queue_low_bytes": 0}
    },
    {
      "domain": "rooms.example.org",
      "listen": {"host": "::1", "port": 5349},
      "upstream": {"port": 5347}
    }
  ],
  "limits": {
    "max_stanza_bytes": 2048,
    "write_queue_high_bytes": 65536,
    "write_queue_low_bytes": 32768,
    "handshake_timeout_ms": 100,
    "upstream_connect_timeout_ms": 3600000
  },
  "scheduling": {"slice_us": 250},
  "log": {"level": "debug", "stanzas": true},
  "metrics": {"listen": {"port": 9464}},
  "capture": "/var/lib/muc-offline-proxy/capture.jsonl"
})";

}  // namespace

TEST_CASE("config: a minimal config and its defaults") {
    const auto config = parsed(kMinimal);
    REQUIRE(config.links.size() == 1);
    const auto& link = config.links[0];
    CHECK(link.name == "conference.example.org");
    CHECK(link.domain == "conference.example.org");
    CHECK(link.listen == config::Endpoint{"127.0.0.1", 5348});
    CHECK(link.upstream == config::Endpoint{"127.0.0.1", 5347});
    CHECK(link.limits.max_stanza_bytes == 1048576);
    CHECK(link.limits.write_queue_high_bytes == 4194304);
    CHECK(link.limits.write_queue_low_bytes == 1048576);
    CHECK(link.limits.handshake_timeout_ms == 30000);
    CHECK(link.limits.upstream_connect_timeout_ms == 10000);
    CHECK(config.log.level == "info");
    CHECK_FALSE(config.capture_path);
}

TEST_CASE("config: every key set, and per-link limits over top-level limits") {
    const auto config = parsed(kFull);
    REQUIRE(config.links.size() == 2);
    const auto& conf = config.links[0];
    CHECK(conf.name == "conf");
    CHECK(conf.domain == "conference.example.org");  // prepared: case folded, final dot gone
    CHECK(conf.listen == config::Endpoint{"127.0.0.2", 5348});
    CHECK(conf.upstream == config::Endpoint{"xmpp.example.org", 5347});
    CHECK(conf.limits.max_stanza_bytes == 4096);         // the link's own
    CHECK(conf.limits.write_queue_low_bytes == 0);       // the link's own
    CHECK(conf.limits.write_queue_high_bytes == 65536);  // from the top level
    CHECK(conf.limits.handshake_timeout_ms == 100);
    CHECK(conf.limits.upstream_connect_timeout_ms == 3600000);

    const auto& rooms = config.links[1];
    CHECK(rooms.name == "rooms.example.org");
    CHECK(rooms.listen == config::Endpoint{"::1", 5349});
    CHECK(rooms.limits.max_stanza_bytes == 2048);
    CHECK(rooms.limits.write_queue_low_bytes == 32768);

    CHECK(config.scheduling.slice_us == 250);
    CHECK(config.log.level == "debug");
    CHECK(config.capture_path == "/var/lib/muc-offline-proxy/capture.jsonl");
}

TEST_CASE("config: capture may be null") {
    CHECK_FALSE(
        parsed(R"({"links": [{"domain": "x", "listen": {"port": 1}, "upstream": {"port": 2}}],
                           "capture": null})")
            .capture_path);
}

TEST_CASE("config: the effective config spells out every default") {
    CHECK(config::effective_config_json(parsed(kMinimal)) == R"({
  "links": [
    {
      "name": "conference.example.org",
      "domain": "conference.example.org",
      "listen": {
        "host": "127.0.0.1",
        "port": 5348
      },
      "upstream": {
        "host": "127.0.0.1",
        "port": 5347
      },
      "limits": {
        "max_stanza_bytes": 1048576,
        "write_queue_high_bytes": 4194304,
        "write_queue_low_bytes": 1048576,
        "handshake_timeout_ms": 30000,
        "upstream_connect_timeout_ms": 10000,
        "max_depth": 64,
        "max_attributes": 64,
        "max_children": 256
      },
      "registration": "augment",
      "offline": {
        "delivery": "groupchat",
        "only_mentions": false,
        "notice": {
          "type": "chat",
          "min_interval_s": 300,
          "excerpt_chars": 100
        },
        "enabled": true,
        "default": false,
        "strip_field": true,
        "pause_after_bounces": 0,
        "pending_ttl_ms": 60000,
        "bounce_ttl_ms": 60000,
        "max_tracked_copies": 500000,
        "max_pending_iq_bytes": 8388608,
        "max_pending_join_bytes": 8388608
      }
    }
  ],
  "store": {
    "path": "muc-offline-proxy.db",
    "max_retained_bytes": 67108864
  },
  "scheduling": {
    "slice_us": 100
  },
  "log": {
    "level": "info",
    "stanzas": false
  },
  "metrics": {
    "listen": null,
    "allow_remote": false,
    "request_timeout_ms": 10000,
    "max_connections": 64
  },
  "capture": null
}
)");
}

TEST_CASE("config: the effective config parses back to the same config") {
    const auto minimal = parsed(kMinimal);
    CHECK(parsed(config::effective_config_json(minimal)) == minimal);
    const auto full = parsed(kFull);
    CHECK(parsed(config::effective_config_json(full)) == full);
}

TEST_CASE("config: JSON that does not parse") {
    // nlohmann points at the last character it read: here the end of the "info" token.
    CHECK(error_of("{\n  \"log\": {\n    \"level\" \"info\"}\n}") ==
          "config: invalid JSON at line 3, column 18: unexpected string literal; expected ':'");
    CHECK(error_of("{\n  \"links\": [\n      x\n  ]\n}") ==
          "config: invalid JSON at line 3, column 7: invalid literal");
    CHECK(error_of("{\"links\": [1]} x") ==
          "config: invalid JSON at line 1, column 16: invalid literal; expected end of input");
    CHECK(error_of("{\"links\": [],\n}") ==
          "config: invalid JSON at line 2, column 1: unexpected '}'; expected string literal");
    CHECK(error_of("") ==
          "config: invalid JSON at line 1, column 1: unexpected end of input; expected '[', '{', "
          "or a literal");
}

TEST_CASE("config: the top level") {
    CHECK(error_of("[1, 2]") == "config: expected an object, got [1,2]");
    CHECK(error_of(R"({"frobnicate": 1, "links": []})") == "frobnicate: unknown key");
    CHECK(error_of("{}") == "links: required key is missing");
    CHECK(error_of(R"({"links": []})") == "links: expected a non-empty array of links, got []");
    CHECK(error_of(R"({"links": {}})") == "links: expected a non-empty array of links, got {}");
    CHECK(error_of(R"({"links": ["conf"]})") == R"(links[0]: expected an object, got "conf")");
}

TEST_CASE("config: link keys") {
    CHECK(error_of(R"({"links": [
            {"domain": "a.example", "listen": {"port": 1}, "upstream": {"port": 2}},
            {"domain": "b.example", "listen": {"port": 3}, "upstream": {"port": 2},
             "frobnicate": true}]})") == "links[1].frobnicate: unknown key");
    CHECK(error_of(R"({"links": [{"listen": {"port": 1}, "upstream": {"port": 2}}]})") ==
          "links[0].domain: required key is missing");
    CHECK(error_of(R"({"links": [{"domain": "not a domain", "listen": {"port": 1},
                                  "upstream": {"port": 2}}]})") ==
          R"(links[0].domain: expected a domain name, got "not a domain")");
    CHECK(error_of(R"({"links": [{"domain": 42, "listen": {"port": 1},
                                  "upstream": {"port": 2}}]})") ==
          "links[0].domain: expected a domain name, got 42");
    CHECK(error_of(R"({"links": [{"domain": "x", "name": "", "listen": {"port": 1},
                                  "upstream": {"port": 2}}]})") ==
          R"(links[0].name: expected a non-empty string, got "")");
    CHECK(error_of(R"({"links": [{"domain": "x", "upstream": {"port": 2}}]})") ==
          "links[0].listen: required key is missing");
    CHECK(error_of(R"({"links": [{"domain": "x", "listen": {"port": 1}}]})") ==
          "links[0].upstream: required key is missing");
}

TEST_CASE("config: endpoints") {
    CHECK(error_of(R"({"links": [{"domain": "x", "listen": {"port": 1},
                                  "upstream": {"port": "abc"}}]})") ==
          R"(links[0].upstream.port: expected an integer 1-65535, got "abc")");
    CHECK(error_of(R"({"links": [{"domain": "x", "listen": {"port": 0},
                                  "upstream": {"port": 2}}]})") ==
          "links[0].listen.port: expected an integer 1-65535, got 0");
    CHECK(error_of(R"({"links": [{"domain": "x", "listen": {"port": 65536},
                                  "upstream": {"port": 2}}]})") ==
          "links[0].listen.port: expected an integer 1-65535, got 65536");
    CHECK(error_of(R"({"links": [{"domain": "x", "listen": {"host": "127.0.0.1"},
                                  "upstream": {"port": 2}}]})") ==
          "links[0].listen.port: required key is missing");
    CHECK(error_of(R"({"links": [{"domain": "x", "listen": {"host": "", "port": 1},
                                  "upstream": {"port": 2}}]})") ==
          R"(links[0].listen.host: expected a non-empty string, got "")");
    CHECK(error_of(R"({"links": [{"domain": "x", "listen": "127.0.0.1:5348",
                                  "upstream": {"port": 2}}]})") ==
          R"(links[0].listen: expected an object, got "127.0.0.1:5348")");
    CHECK(error_of(R"({"links": [{"domain": "x", "listen": {"port": 1, "tls": true},
                                  "upstream": {"port": 2}}]})") ==
          "links[0].listen.tls: unknown key");
}

TEST_CASE("config: hosts are IP literals or RFC 1123 host names") {
    const auto with_upstream_host = [](const std::string& host) {
        return R"({"links": [{"domain": "x", "listen": {"port": 1},
                              "upstream": {"host": ")" +
               host + R"(", "port": 2}}]})";
    };
    const std::string expected =
        "expected an IP address or a host name (labels of letters, digits and hyphens, at most "
        "63 bytes each, 253 in all), got ";
    for (const std::string& host : std::vector<std::string>{
             "localhost", "127.0.0.1", "::1", "fe80::1%eth0", "xmpp.example.org",
             "xmpp.example.org.", "a-b.c1", "1.2.3", std::string(63, 'a') + ".org",
             std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                 std::string(61, 'd')}) {
        INFO(host);
        CHECK(error_of(with_upstream_host(host)) == "<valid>");
    }
    // 300 bytes passed before, and crashed the first session that tried to resolve it.
    const std::string too_long(300, 'a');
    CHECK(error_of(with_upstream_host(too_long)) ==
          "links[0].upstream.host: " + expected + "\"" + std::string(39, 'a') + "...");
    for (const std::string& host :
         std::vector<std::string>{std::string(64, 'a') + ".org",
                                  std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                                      std::string(63, 'c') + "." + std::string(62, 'd'),
                                  "-xmpp.example.org", "xmpp-.example.org", "xmpp..example.org",
                                  ".example.org", "xmpp_1.example.org", "xmpp.example.org:5347",
                                  "[::1]", "fe80::1%", "exa mple", "caf\u00e9.example"}) {
        INFO(host);
        CHECK(error_of(with_upstream_host(host)).rfind("links[0].upstream.host: " + expected, 0) ==
              0);
    }
    CHECK(error_of(R"({"links": [{"domain": "x", "listen": {"host": "127.0.0.1:5348", "port": 1},
                                  "upstream": {"port": 2}}]})") ==
          "links[0].listen.host: " + expected + "\"127.0.0.1:5348\"");
    CHECK(error_of(R"({"links": [{"domain": "x", "listen": {"port": 1}, "upstream": {"port": 2}}],
                      "metrics": {"listen": {"host": "local_host", "port": 9}}})") ==
          "metrics.listen.host: " + expected + "\"local_host\"");
}

TEST_CASE("config: what must be unique across links") {
    CHECK(error_of(R"({"links": [
            {"domain": "a.example", "listen": {"port": 5348}, "upstream": {"port": 5347}},
            {"domain": "b.example", "listen": {"host": "127.0.0.1", "port": 5348},
             "upstream": {"port": 5347}}]})") ==
          "links[1].listen: 127.0.0.1:5348 is already used by links[0]");
    CHECK(error_of(R"({"links": [
            {"domain": "a.example", "listen": {"host": "::1", "port": 5348},
             "upstream": {"port": 5347}},
            {"domain": "b.example", "listen": {"host": "::1", "port": 5348},
             "upstream": {"port": 5347}}]})") ==
          "links[1].listen: [::1]:5348 is already used by links[0]");
    // Domains compare once prepared, as the server compares them.
    CHECK(error_of(R"({"links": [
            {"domain": "x", "listen": {"port": 1}, "upstream": {"port": 5347}},
            {"domain": "X.", "listen": {"port": 2}, "upstream": {"port": 5347}}]})") ==
          R"(links[1].domain: "x" is already used by links[0])");
    CHECK(error_of(R"({"links": [
            {"name": "conf", "domain": "a.example", "listen": {"port": 1},
             "upstream": {"port": 5347}},
            {"name": "conf", "domain": "b.example", "listen": {"port": 2},
             "upstream": {"port": 5347}}]})") ==
          R"(links[1].name: "conf" is already used by links[0])");
    // A defaulted name clashes like a written one.
    CHECK(error_of(R"({"links": [
            {"domain": "a.example", "listen": {"port": 1}, "upstream": {"port": 5347}},
            {"name": "a.example", "domain": "b.example", "listen": {"port": 2},
             "upstream": {"port": 5347}}]})") ==
          R"(links[1].name: "a.example" is already used by links[0])");
}

TEST_CASE("config: integers are whole, non-negative and in range") {
    CHECK(error_of(R"({"limits": {"max_stanza_bytes": 1.5}, "links": []})") ==
          "limits.max_stanza_bytes: expected an integer 1024-67108864, got 1.5");
    CHECK(error_of(R"({"limits": {"max_stanza_bytes": 2048.0}, "links": []})") ==
          "limits.max_stanza_bytes: expected an integer 1024-67108864, got 2048.0");
    CHECK(error_of(R"({"limits": {"max_stanza_bytes": true}, "links": []})") ==
          "limits.max_stanza_bytes: expected an integer 1024-67108864, got true");
    CHECK(error_of(R"({"limits": {"max_stanza_bytes": -4096}, "links": []})") ==
          "limits.max_stanza_bytes: expected an integer 1024-67108864, got -4096");
    CHECK(error_of(R"({"limits": {"max_stanza_bytes": "4096"}, "links": []})") ==
          R"(limits.max_stanza_bytes: expected an integer 1024-67108864, got "4096")");
    CHECK(error_of(R"({"limits": {"max_stanza_bytes": 1023}, "links": []})") ==
          "limits.max_stanza_bytes: expected an integer 1024-67108864, got 1023");
    CHECK(error_of(R"({"limits": {"max_stanza_bytes": 67108865}, "links": []})") ==
          "limits.max_stanza_bytes: expected an integer 1024-67108864, got 67108865");
    CHECK(error_of(R"({"limits": {"write_queue_high_bytes": 65535}, "links": []})") ==
          "limits.write_queue_high_bytes: expected an integer 65536-1073741824, got 65535");
    CHECK(error_of(R"({"limits": {"write_queue_low_bytes": -1}, "links": []})") ==
          "limits.write_queue_low_bytes: expected an integer 0-1073741824, got -1");
    CHECK(error_of(R"({"limits": {"handshake_timeout_ms": 99}, "links": []})") ==
          "limits.handshake_timeout_ms: expected an integer 100-3600000, got 99");
    CHECK(error_of(R"({"limits": {"upstream_connect_timeout_ms": 3600001}, "links": []})") ==
          "limits.upstream_connect_timeout_ms: expected an integer 100-3600000, got 3600001");
    CHECK(error_of(R"({"limits": {"max_stanza_bytes": 1e6}, "links": []})") ==
          "limits.max_stanza_bytes: expected an integer 1024-67108864, got 1000000.0");
    CHECK(error_of(R"({"limits": {"max_stanza_bytes": 99999999999999999999}, "links": []})") ==
          "limits.max_stanza_bytes: expected an integer 1024-67108864, got 1e+20");
}

TEST_CASE("config: limits objects") {
    CHECK(error_of(R"({"limits": 5, "links": []})") == "limits: expected an object, got 5");
    CHECK(error_of(R"({"limits": {"max_stanza": 5}, "links": []})") ==
          "limits.max_stanza: unknown key");
    CHECK(error_of(R"({"links": [{"domain": "x", "listen": {"port": 1}, "upstream": {"port": 2},
                                  "limits": {"max_stanza_bytes": 100}}]})") ==
          "links[0].limits.max_stanza_bytes: expected an integer 1024-67108864, got 100");
}

TEST_CASE("config: the low watermark sits below the high one") {
    CHECK(error_of(R"({"limits": {"write_queue_low_bytes": 5000000}, "links": []})") ==
          "limits.write_queue_low_bytes: expected less than write_queue_high_bytes (4194304), "
          "got 5000000");
    CHECK(error_of(R"({"limits": {"write_queue_low_bytes": 65536,
                                  "write_queue_high_bytes": 65536}, "links": []})") ==
          "limits.write_queue_low_bytes: expected less than write_queue_high_bytes (65536), "
          "got 65536");
    // Each half is fine alone; the link's high together with the top level's low is not.
    CHECK(error_of(R"({"limits": {"write_queue_low_bytes": 2000000},
                       "links": [{"domain": "x", "listen": {"port": 1}, "upstream": {"port": 2},
                                  "limits": {"write_queue_high_bytes": 1048576}}]})") ==
          "links[0].limits.write_queue_low_bytes: expected less than write_queue_high_bytes "
          "(1048576), got 2000000");
}

TEST_CASE("config: log and capture") {
    CHECK(error_of(R"({"links": [{"domain": "x", "listen": {"port": 1}, "upstream": {"port": 2}}],
                       "log": {"level": "loud"}})") ==
          R"(log.level: expected one of trace, debug, info, warn, error, got "loud")");
    CHECK(error_of(R"({"links": [{"domain": "x", "listen": {"port": 1}, "upstream": {"port": 2}}],
                       "log": "info"})") == R"(log: expected an object, got "info")");
    CHECK(error_of(R"({"links": [{"domain": "x", "listen": {"port": 1}, "upstream": {"port": 2}}],
                       "log": {"file": "/tmp/x"}})") == "log.file: unknown key");
    CHECK(error_of(R"({"links": [{"domain": "x", "listen": {"port": 1}, "upstream": {"port": 2}}],
                       "capture": 5})") == "capture: expected a file path or null, got 5");
}

TEST_CASE("config: a long value is cut short in the message") {
    CHECK(
        error_of(R"({"links": [{"domain": "x", "listen": {"port": 1}, "upstream": {"port": 2}}],
                       "log": {"level": "this level name goes on and on and on and on"}})") ==
        R"(log.level: expected one of trace, debug, info, warn, error, got "this level name goes on and on and on a...)");
    // U+00E9 is two bytes; the cut falls between them and backs off to before it.
    CHECK(
        error_of(R"({"links": [{"domain": "x", "listen": {"port": 1}, "upstream": {"port": 2}}],
                       "log": {"level": "abcdefghijklmnopqrstuvwxyzabcdefghijkl\u00e9"}})") ==
        R"(log.level: expected one of trace, debug, info, warn, error, got "abcdefghijklmnopqrstuvwxyzabcdefghijkl...)");
}

TEST_CASE("config: load_config_file") {
    CHECK(load_error_of("/nonexistent/proxy.json") ==
          "/nonexistent/proxy.json: cannot read: No such file or directory");
    CHECK(load_error_of("/") == "/: cannot read: Is a directory");

    const std::string path =
        "/tmp/muc-offline-proxy-config-test-" + std::to_string(::getpid()) + ".json";
    std::ofstream(path) << kMinimal;
    const auto loaded = config::load_config_file(path);
    std::remove(path.c_str());
    REQUIRE(loaded.config);
    CHECK(*loaded.config == parsed(kMinimal));
}

TEST_CASE("config: the offline feature's settings, top level and per link") {
    const auto config = parsed(R"({
        "registration": "standalone",
        "offline": {"default": true, "pause_after_bounces": 3},
        "links": [
            {"domain": "a.example", "listen": {"port": 1}, "upstream": {"port": 2}},
            {"domain": "b.example", "listen": {"port": 3}, "upstream": {"port": 2},
             "registration": "augment", "offline": {"enabled": false, "bounce_ttl_ms": 5000,
                                                     "max_tracked_copies": 0,
                                                     "max_pending_iq_bytes": 65536,
                                                     "max_pending_join_bytes": 131072}}]})");
    CHECK(config.links[0].offline.registration == offline::RegistrationMode::standalone);
    CHECK(config.links[0].offline.offline_default);
    CHECK(config.links[0].offline.pause_after_bounces == 3);
    CHECK(config.links[0].offline_enabled);
    CHECK(config.links[1].offline.registration == offline::RegistrationMode::augment);
    CHECK(config.links[1].offline.offline_default);
    CHECK(config.links[1].offline.bounce_ttl == std::chrono::milliseconds(5000));
    CHECK(config.links[0].offline.max_tracked_copies == 500000);
    CHECK(config.links[1].offline.max_tracked_copies == 0);
    CHECK(config.links[0].offline.max_pending_iq_bytes == 8u << 20);
    CHECK(config.links[0].offline.max_pending_join_bytes == 8u << 20);
    CHECK(config.links[1].offline.max_pending_iq_bytes == 65536);
    CHECK(config.links[1].offline.max_pending_join_bytes == 131072);
    CHECK_FALSE(config.links[1].offline_enabled);
    CHECK(parsed(config::effective_config_json(config)) == config);
}

TEST_CASE("config: delivery, mentions and notices, top level and per link") {
    const auto config = parsed(R"({
        "offline": {"delivery": "auto", "notice": {"min_interval_s": 60}},
        "links": [
            {"domain": "a.example", "listen": {"port": 1}, "upstream": {"port": 2}},
            {"domain": "b.example", "listen": {"port": 3}, "upstream": {"port": 2},
             "offline": {"delivery": "notice", "only_mentions": true,
                         "notice": {"type": "normal", "excerpt_chars": 0}}}]})");
    const offline::Options& a = config.links[0].offline;
    const offline::Options& b = config.links[1].offline;
    CHECK(a.delivery == offline::Delivery::automatic);
    CHECK_FALSE(a.only_mentions);
    CHECK(a.notice.type == offline::NoticeType::chat);
    CHECK(a.notice.min_interval == std::chrono::seconds(60));
    CHECK(a.notice.excerpt_chars == 100);
    CHECK(b.delivery == offline::Delivery::notice);
    CHECK(b.only_mentions);
    CHECK(b.notice.type == offline::NoticeType::normal);
    CHECK(b.notice.min_interval == std::chrono::seconds(60));  // the top level's, key by key
    CHECK(b.notice.excerpt_chars == 0);
    CHECK(parsed(config::effective_config_json(config)) == config);

    CHECK(error_of(R"({"offline": {"delivery": "copies"}, "links": []})") ==
          R"(offline.delivery: expected "groupchat", "notice" or "auto", got "copies")");
    CHECK(error_of(R"({"offline": {"notice": {"type": "headline"}}, "links": []})") ==
          R"(offline.notice.type: expected "chat" or "normal", got "headline")");
    CHECK(error_of(R"({"offline": {"notice": {"min_interval_s": -1}}, "links": []})") ==
          "offline.notice.min_interval_s: expected an integer 0-604800, got -1");
    CHECK(error_of(R"({"offline": {"notice": {"excerpt": 5}}, "links": []})") ==
          "offline.notice.excerpt: unknown key");
}

TEST_CASE("config: the offline feature's settings are checked") {
    CHECK(error_of(R"({"registration": "both", "links": []})") ==
          R"(registration: expected "augment" or "standalone", got "both")");
    CHECK(error_of(R"({"offline": {"default": "yes"}, "links": []})") ==
          R"(offline.default: expected true or false, got "yes")");
    CHECK(error_of(R"({"offline": {"pending_ttl_ms": 5}, "links": []})") ==
          "offline.pending_ttl_ms: expected an integer 100-3600000, got 5");
    CHECK(error_of(R"({"offline": {"max_tracked_copies": 100000001}, "links": []})") ==
          "offline.max_tracked_copies: expected an integer 0-100000000, got 100000001");
    CHECK(error_of(R"({"offline": {"max_pending_iq_bytes": 0}, "links": []})") ==
          "offline.max_pending_iq_bytes: expected an integer 65536-1073741824, got 0");
    CHECK(
        error_of(R"({"links": [{"domain": "a.example", "listen": {"port": 1},
                                  "upstream": {"port": 2},
                                  "offline": {"max_pending_join_bytes": "big"}}]})") ==
        R"(links[0].offline.max_pending_join_bytes: expected an integer 65536-1073741824, got "big")");
    CHECK(error_of(R"({"offline": {"colour": 1}, "links": []})") == "offline.colour: unknown key");
    CHECK(error_of(
              R"({"links": [{"domain": "a.example", "listen": {"port": 1}, "upstream": {"port": 2},
                                   "offline": {"enabled": 1}}]})") ==
          "links[0].offline.enabled: expected true or false, got 1");
}

TEST_CASE("config: the tree limits, top level and per link, reach the feature's options") {
    const auto config = parsed(R"({
        "limits": {"max_depth": 32, "max_children": 100},
        "links": [
            {"domain": "a.example", "listen": {"port": 1}, "upstream": {"port": 2}},
            {"domain": "b.example", "listen": {"port": 3}, "upstream": {"port": 2},
             "limits": {"max_attributes": 16}}]})");
    const xmpp::TreeLimits a{.max_depth = 32, .max_attributes = 64, .max_children = 100};
    const xmpp::TreeLimits b{.max_depth = 32, .max_attributes = 16, .max_children = 100};
    CHECK(config.links[0].limits.tree == a);
    CHECK(config.links[0].offline.tree_limits == a);
    CHECK(config.links[1].limits.tree == b);
    CHECK(config.links[1].offline.tree_limits == b);
    CHECK(parsed(kMinimal).links[0].offline.tree_limits == xmpp::TreeLimits{});
    CHECK(parsed(config::effective_config_json(config)) == config);

    CHECK(error_of(R"({"limits": {"max_depth": 7}, "links": []})") ==
          "limits.max_depth: expected an integer 8-1024, got 7");
    CHECK(error_of(R"({"limits": {"max_attributes": 1025}, "links": []})") ==
          "limits.max_attributes: expected an integer 8-1024, got 1025");
    CHECK(error_of(R"({"limits": {"max_children": "many"}, "links": []})") ==
          R"(limits.max_children: expected an integer 16-4096, got "many")");
    CHECK(error_of(R"({"links": [{"domain": "a.example", "listen": {"port": 1},
                                  "upstream": {"port": 2}, "limits": {"max_depth": 0}}]})") ==
          "links[0].limits.max_depth: expected an integer 8-1024, got 0");
}

TEST_CASE("config: the store's path") {
    CHECK(parsed(R"({"store": {"path": "/var/lib/muc-offline-proxy/state.db"},
                     "links": [{"domain": "a.example", "listen": {"port": 1}, "upstream": {"port": 2}}]})")
              .store.path == "/var/lib/muc-offline-proxy/state.db");
    const std::string links =
        R"("links": [{"domain": "a.example", "listen": {"port": 1}, "upstream": {"port": 2}}])";
    CHECK(error_of(R"({"store": {"path": ""}, )" + links + "}") ==
          R"(store.path: expected a file path, got "")");
    CHECK(error_of(R"({"store": {"file": "x"}, )" + links + "}") == "store.file: unknown key");
    CHECK(parsed(R"({"store": {"max_retained_bytes": 2097152}, )" + links + "}")
              .store.max_retained_bytes == 2097152);
    CHECK(error_of(R"({"store": {"max_retained_bytes": 1000}, )" + links + "}") ==
          "store.max_retained_bytes: expected an integer 1048576-17179869184, got 1000");
}

TEST_CASE("config: scheduling.slice_us is 0 or within the kernel's range") {
    const std::string links =
        R"("links": [{"domain": "x", "listen": {"port": 1}, "upstream": {"port": 2}}])";
    CHECK(parsed("{" + links + "}").scheduling.slice_us == 100);
    CHECK(parsed(R"({"scheduling": {"slice_us": 0}, )" + links + "}").scheduling.slice_us == 0);
    CHECK(parsed(R"({"scheduling": {"slice_us": 100000}, )" + links + "}").scheduling.slice_us ==
          100000);
    CHECK(error_of(R"({"scheduling": {"slice_us": 99}, )" + links + "}") ==
          "scheduling.slice_us: expected 0 or an integer 100-100000, got 99");
    CHECK(error_of(R"({"scheduling": {"slice_us": 100001}, )" + links + "}") ==
          "scheduling.slice_us: expected 0 or an integer 100-100000, got 100001");
    CHECK(error_of(R"({"scheduling": {"slice_us": "short"}, )" + links + "}") ==
          R"(scheduling.slice_us: expected 0 or an integer 100-100000, got "short")");
    CHECK(error_of(R"({"scheduling": {"nice": 5}, )" + links + "}") ==
          "scheduling.nice: unknown key");
}

TEST_CASE("config: metrics are off by default, on loopback when on") {
    CHECK_FALSE(parsed(kMinimal).metrics.listen);
    const auto full = parsed(kFull);
    REQUIRE(full.metrics.listen);
    CHECK(*full.metrics.listen == config::Endpoint{"127.0.0.1", 9464});
    CHECK(full.log.stanzas);
    CHECK_FALSE(parsed(kMinimal).log.stanzas);
    const std::string link =
        R"("links": [{"domain": "x", "listen": {"port": 5348}, "upstream": {"port": 2}}])";
    CHECK(parsed("{" + link + R"(, "metrics": {"listen": {"host": "::1", "port": 9}}})")
              .metrics.listen->host == "::1");
    CHECK(parsed("{" + link + R"(, "metrics": {"listen": {"host": "localhost", "port": 9}}})")
              .metrics.listen->host == "localhost");
    CHECK(parsed("{" + link + R"(, "metrics": {"listen": null}})").metrics.listen == std::nullopt);
    CHECK(error_of("{" + link + R"(, "metrics": {"listen": {"host": "0.0.0.0", "port": 9}}})") ==
          "metrics.listen.host: expected a loopback address (127.0.0.1, ::1 or localhost) "
          "unless metrics.allow_remote is true, got \"0.0.0.0\"");
    CHECK(
        parsed("{" + link +
               R"(, "metrics": {"listen": {"host": "0.0.0.0", "port": 9}, "allow_remote": true}})")
            .metrics.allow_remote);
    CHECK(error_of("{" + link + R"(, "metrics": {"listen": {"port": 5348}}})") ==
          "metrics.listen: 127.0.0.1:5348 is already used by links[0].listen");
    CHECK(error_of("{" + link + R"(, "metrics": {"listen": "127.0.0.1:9464"}})") ==
          R"(metrics.listen: expected {"host": ..., "port": ...} or null, got "127.0.0.1:9464")");
    CHECK(error_of("{" + link + R"(, "metrics": {"listen": {"port": 0}}})") ==
          "metrics.listen.port: expected an integer 1-65535, got 0");
    CHECK(error_of("{" + link + R"(, "metrics": {"path": "/m"}})") == "metrics.path: unknown key");
    // The endpoint's own limits against slow and many clients.
    CHECK(parsed(kMinimal).metrics.request_timeout_ms == 10000);
    CHECK(parsed(kMinimal).metrics.max_connections == 64);
    const auto limited =
        parsed("{" + link + R"(, "metrics": {"request_timeout_ms": 2000, "max_connections": 8}})");
    CHECK(limited.metrics.request_timeout_ms == 2000);
    CHECK(limited.metrics.max_connections == 8);
    CHECK(error_of("{" + link + R"(, "metrics": {"request_timeout_ms": 50}})") ==
          "metrics.request_timeout_ms: expected an integer 100-600000, got 50");
    CHECK(error_of("{" + link + R"(, "metrics": {"max_connections": 0}})") ==
          "metrics.max_connections: expected an integer 1-65536, got 0");
    CHECK(error_of("{" + link + R"(, "log": {"stanzas": "yes"}})") ==
          R"(log.stanzas: expected true or false, got "yes")");
}
