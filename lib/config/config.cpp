// The config schema: which keys exist, their defaults and bounds, and what must be unique
// across links. README.md shows the whole schema in one piece.
#include "config/config.hpp"

#include <arpa/inet.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "config/host_name.hpp"
#include "config/json_reader.hpp"
#include "xmpp/jid.hpp"

namespace config {
namespace {

constexpr std::uint64_t kMaxQueueBytes = 1024ull * 1024 * 1024;
constexpr std::uint64_t kMaxTimeoutMs = 60 * 60 * 1000;

// Reads a `limits` object over `limits`, so a link's keys override the top level's.
Limits read_limits(const ConfigValue& value, Limits limits) {
    value.expect_object_with_keys({"max_stanza_bytes", "write_queue_high_bytes",
                                   "write_queue_low_bytes", "handshake_timeout_ms",
                                   "upstream_connect_timeout_ms", "max_depth", "max_attributes",
                                   "max_children"});
    if (auto key = value.member("max_stanza_bytes")) {
        limits.max_stanza_bytes = key->integer(1024, 64 * 1024 * 1024);
    }
    if (auto key = value.member("write_queue_high_bytes")) {
        limits.write_queue_high_bytes = key->integer(64 * 1024, kMaxQueueBytes);
    }
    if (auto key = value.member("write_queue_low_bytes")) {
        limits.write_queue_low_bytes = key->integer(0, kMaxQueueBytes);
    }
    if (auto key = value.member("handshake_timeout_ms")) {
        limits.handshake_timeout_ms = key->integer(100, kMaxTimeoutMs);
    }
    if (auto key = value.member("upstream_connect_timeout_ms")) {
        limits.upstream_connect_timeout_ms = key->integer(100, kMaxTimeoutMs);
    }
    // The upper bounds keep libstrophe's recursion on depth shallow and its per-element costs
    // (square of the attributes, square of the children) small.
    if (auto key = value.member("max_depth")) {
        limits.tree.max_depth = static_cast<std::uint32_t>(key->integer(8, 1024));
    }
    if (auto key = value.member("max_attributes")) {
        limits.tree.max_attributes = static_cast<std::uint32_t>(key->integer(8, 1024));
    }
    if (auto key = value.member("max_children")) {
        limits.tree.max_children = static_cast<std::uint32_t>(key->integer(16, 4096));
    }
    // The pause/resume pair needs a gap: with low >= high a paused direction would resume at
    // once and flap around a single queue size.
    if (limits.write_queue_low_bytes >= limits.write_queue_high_bytes) {
        throw ConfigError{value.path_of("write_queue_low_bytes") +
                          ": expected less than write_queue_high_bytes (" +
                          std::to_string(limits.write_queue_high_bytes) + "), got " +
                          std::to_string(limits.write_queue_low_bytes)};
    }
    return limits;
}

// The feature's settings; a link's `offline` object overrides the top level's key by key.
struct OfflineSettings {
    bool enabled = true;
    offline::Options options;
};

offline::RegistrationMode read_registration(const ConfigValue& value) {
    const auto& text = value.json();
    if (text == "augment") return offline::RegistrationMode::augment;
    if (text == "standalone") return offline::RegistrationMode::standalone;
    value.reject("expected \"augment\" or \"standalone\"");
}

offline::Delivery read_delivery(const ConfigValue& value) {
    const auto& text = value.json();
    if (text == "groupchat") return offline::Delivery::groupchat;
    if (text == "notice") return offline::Delivery::notice;
    if (text == "auto") return offline::Delivery::automatic;
    value.reject("expected \"groupchat\", \"notice\" or \"auto\"");
}

offline::NoticeOptions read_notice(const ConfigValue& value, offline::NoticeOptions notice) {
    value.expect_object_with_keys({"type", "min_interval_s", "excerpt_chars"});
    if (auto key = value.member("type")) {
        const auto& text = key->json();
        if (text == "chat") {
            notice.type = offline::NoticeType::chat;
        } else if (text == "normal") {
            notice.type = offline::NoticeType::normal;
        } else {
            key->reject("expected \"chat\" or \"normal\"");
        }
    }
    if (auto key = value.member("min_interval_s"))
        notice.min_interval = std::chrono::seconds(key->integer(0, 7 * 24 * 3600));
    if (auto key = value.member("excerpt_chars"))
        notice.excerpt_chars = static_cast<std::uint32_t>(key->integer(0, 4096));
    return notice;
}

OfflineSettings read_offline(const ConfigValue& value, OfflineSettings settings) {
    value.expect_object_with_keys({"enabled", "default", "strip_field", "pause_after_bounces",
                                   "pending_ttl_ms", "bounce_ttl_ms", "max_tracked_copies",
                                   "max_pending_iq_bytes", "max_pending_join_bytes", "delivery",
                                   "only_mentions", "notice"});
    if (auto key = value.member("delivery")) settings.options.delivery = read_delivery(*key);
    if (auto key = value.member("only_mentions")) settings.options.only_mentions = key->boolean();
    if (auto key = value.member("notice"))
        settings.options.notice = read_notice(*key, settings.options.notice);
    if (auto key = value.member("enabled")) settings.enabled = key->boolean();
    if (auto key = value.member("default")) settings.options.offline_default = key->boolean();
    if (auto key = value.member("strip_field")) settings.options.strip_field = key->boolean();
    if (auto key = value.member("pause_after_bounces")) {
        settings.options.pause_after_bounces = static_cast<std::uint32_t>(key->integer(0, 1000000));
    }
    if (auto key = value.member("pending_ttl_ms")) {
        settings.options.pending_ttl = std::chrono::milliseconds(key->integer(100, kMaxTimeoutMs));
    }
    if (auto key = value.member("bounce_ttl_ms")) {
        settings.options.bounce_ttl = std::chrono::milliseconds(key->integer(100, kMaxTimeoutMs));
    }
    if (auto key = value.member("max_tracked_copies")) {
        settings.options.max_tracked_copies =
            static_cast<std::uint32_t>(key->integer(0, 100000000));
    }
    if (auto key = value.member("max_pending_iq_bytes")) {
        settings.options.max_pending_iq_bytes =
            static_cast<std::uint64_t>(key->integer(65536, 1073741824));
    }
    if (auto key = value.member("max_pending_join_bytes")) {
        settings.options.max_pending_join_bytes =
            static_cast<std::uint64_t>(key->integer(65536, 1073741824));
    }
    return settings;
}

Endpoint read_endpoint(const ConfigValue& value) {
    value.expect_object_with_keys({"host", "port"});
    Endpoint endpoint{.host = "127.0.0.1"};
    if (auto host = value.member("host")) {
        endpoint.host = host->non_empty_string();
        if (!is_valid_host(endpoint.host)) {
            host->reject(
                "expected an IP address or a host name (labels of letters, digits and hyphens, "
                "at most 63 bytes each, 253 in all)");
        }
    }
    endpoint.port = static_cast<std::uint16_t>(value.required_member("port").integer(1, 65535));
    return endpoint;
}

Link read_link(const ConfigValue& value, const Limits& top_level,
               const OfflineSettings& top_offline) {
    value.expect_object_with_keys(
        {"name", "domain", "listen", "upstream", "limits", "registration", "offline"});
    Link link;
    const auto domain = value.required_member("domain");
    // The domain is the component's JID, compared as the server compares it.
    const auto prepared = domain.json().is_string()
                              ? xmpp::prepare_domain(domain.json().get<std::string>())
                              : std::nullopt;
    if (!prepared) domain.reject("expected a domain name");
    link.domain = *prepared;
    if (auto name = value.member("name")) {
        link.name = name->non_empty_string();
    } else {
        link.name = link.domain;
    }
    link.listen = read_endpoint(value.required_member("listen"));
    link.upstream = read_endpoint(value.required_member("upstream"));
    if (auto limits = value.member("limits")) {
        link.limits = read_limits(*limits, top_level);
    } else {
        link.limits = top_level;
    }
    OfflineSettings offline = top_offline;
    if (auto key = value.member("registration"))
        offline.options.registration = read_registration(*key);
    if (auto key = value.member("offline")) offline = read_offline(*key, offline);
    link.offline_enabled = offline.enabled;
    link.offline = offline.options;
    link.offline.tree_limits = link.limits.tree;
    return link;
}

// Each link is checked against those before it, so the message points at the later one.
// Domains first: when two links share a domain and neither names itself, the names clash
// too, and the domain is what the user wrote.
void check_link_is_unique(const ConfigValue& links, std::size_t index,
                          const std::vector<Link>& earlier, const Link& link) {
    const auto clash = [&](std::string_view key, const std::string& shown, auto same) {
        for (std::size_t i = 0; i < earlier.size(); ++i) {
            if (same(earlier[i])) {
                throw ConfigError{links.element(index).path_of(key) + ": " + shown +
                                  " is already used by " + links.element(i).path()};
            }
        }
    };
    clash("domain", quote_json(link.domain),
          [&](const Link& other) { return other.domain == link.domain; });
    clash("name", quote_json(link.name),
          [&](const Link& other) { return other.name == link.name; });
    clash("listen", describe_endpoint(link.listen),
          [&](const Link& other) { return other.listen == link.listen; });
}

Log read_log(const ConfigValue& value) {
    value.expect_object_with_keys({"level", "stanzas"});
    Log log;
    if (auto stanzas = value.member("stanzas")) log.stanzas = stanzas->boolean();
    if (auto level = value.member("level")) {
        const auto& text = level->json();
        if (text != "trace" && text != "debug" && text != "info" && text != "warn" &&
            text != "error") {
            level->reject("expected one of trace, debug, info, warn, error");
        }
        log.level = text.get<std::string>();
    }
    return log;
}

bool is_loopback(const std::string& host) {
    if (host == "localhost") return true;
    in_addr v4{};
    if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

Metrics read_metrics(const ConfigValue& value, const std::vector<Link>& links,
                     const ConfigValue& links_value) {
    value.expect_object_with_keys(
        {"listen", "allow_remote", "request_timeout_ms", "max_connections"});
    Metrics metrics;
    if (auto allow = value.member("allow_remote")) metrics.allow_remote = allow->boolean();
    if (auto key = value.member("request_timeout_ms")) {
        metrics.request_timeout_ms = static_cast<std::uint32_t>(key->integer(100, 600000));
    }
    if (auto key = value.member("max_connections")) {
        metrics.max_connections = static_cast<std::uint32_t>(key->integer(1, 65536));
    }
    auto listen = value.member("listen");
    if (!listen || listen->json().is_null()) return metrics;
    if (!listen->json().is_object())
        listen->reject("expected {\"host\": ..., \"port\": ...} or null");
    metrics.listen = read_endpoint(*listen);
    if (!metrics.allow_remote && !is_loopback(metrics.listen->host)) {
        throw ConfigError{listen->path_of("host") +
                          ": expected a loopback address (127.0.0.1, ::1 or localhost) unless "
                          "metrics.allow_remote is true, got " +
                          quote_json(metrics.listen->host)};
    }
    for (std::size_t i = 0; i < links.size(); ++i) {
        if (links[i].listen == *metrics.listen) {
            throw ConfigError{listen->path() + ": " + describe_endpoint(*metrics.listen) +
                              " is already used by " + links_value.element(i).path_of("listen")};
        }
    }
    return metrics;
}

Config read_config(const ConfigValue& root) {
    root.expect_object_with_keys({"links", "limits", "registration", "offline", "store",
                                  "scheduling", "log", "metrics", "capture"});
    Config config;
    Limits top_level;
    if (auto limits = root.member("limits")) top_level = read_limits(*limits, top_level);
    OfflineSettings top_offline;
    if (auto key = root.member("registration"))
        top_offline.options.registration = read_registration(*key);
    if (auto key = root.member("offline")) top_offline = read_offline(*key, top_offline);

    const auto links = root.required_member("links");
    if (!links.json().is_array() || links.json().empty()) {
        links.reject("expected a non-empty array of links");
    }
    for (std::size_t i = 0; i < links.json().size(); ++i) {
        Link link = read_link(links.element(i), top_level, top_offline);
        check_link_is_unique(links, i, config.links, link);
        config.links.push_back(std::move(link));
    }

    if (auto store = root.member("store")) {
        store->expect_object_with_keys({"path", "max_retained_bytes"});
        if (auto path = store->member("path"))
            config.store.path = path->non_empty_string("expected a file path");
        if (auto bytes = store->member("max_retained_bytes"))
            config.store.max_retained_bytes = bytes->integer(1024 * 1024, 16ull << 30);
    }
    if (auto scheduling = root.member("scheduling")) {
        scheduling->expect_object_with_keys({"slice_us"});
        if (auto slice = scheduling->member("slice_us")) {
            // 1-99 is no slice the kernel grants (it would round it up to 100).
            const auto& json = slice->json();
            const bool in_range =
                json.is_number_unsigned() &&
                (json.get<std::uint64_t>() == 0 ||
                 (json.get<std::uint64_t>() >= 100 && json.get<std::uint64_t>() <= 100000));
            if (!in_range) slice->reject("expected 0 or an integer 100-100000");
            config.scheduling.slice_us = json.get<std::uint32_t>();
        }
    }
    if (auto log = root.member("log")) config.log = read_log(*log);
    if (auto metrics = root.member("metrics"))
        config.metrics = read_metrics(*metrics, config.links, links);
    if (auto capture = root.member("capture"); capture && !capture->json().is_null()) {
        config.capture_path = capture->non_empty_string("expected a file path or null");
    }
    return config;
}

}  // namespace

std::string describe_endpoint(const Endpoint& endpoint) {
    const bool ipv6 = endpoint.host.find(':') != std::string::npos;
    return (ipv6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" + std::to_string(endpoint.port);
}

ParseResult parse_config(const std::string& json_text) {
    try {
        return {read_config(ConfigValue::root(parse_json_text(json_text))), std::nullopt};
    } catch (ConfigError& error) {
        return {std::nullopt, std::move(error)};
    }
}

ParseResult load_config_file(const std::string& path) {
    const auto cannot_read = [&path] {
        return ParseResult{std::nullopt,
                           ConfigError{path + ": cannot read: " + std::strerror(errno)}};
    };
    // fopen rather than ifstream: streams do not promise to leave errno meaningful.
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                               &std::fclose);
    if (!file) return cannot_read();
    std::string text;
    char chunk[8192];
    std::size_t got;
    // A directory opens fine on Linux and fails here with EISDIR.
    while ((got = std::fread(chunk, 1, sizeof chunk, file.get())) > 0) text.append(chunk, got);
    if (std::ferror(file.get())) return cannot_read();
    return parse_config(text);
}

}  // namespace config
