// What `check-config` prints: the config as `run` will use it. Every default is written out
// and each link carries its own effective limits, so there is no top-level `limits`; the
// text parses back to the same Config.
#include "config/config.hpp"
#include "config/json_reader.hpp"

namespace config {
namespace {

Json endpoint_json(const Endpoint& endpoint) {
    return Json{{"host", endpoint.host}, {"port", endpoint.port}};
}

Json limits_json(const Limits& limits) {
    return Json{
        {"max_stanza_bytes", limits.max_stanza_bytes},
        {"write_queue_high_bytes", limits.write_queue_high_bytes},
        {"write_queue_low_bytes", limits.write_queue_low_bytes},
        {"handshake_timeout_ms", limits.handshake_timeout_ms},
        {"upstream_connect_timeout_ms", limits.upstream_connect_timeout_ms},
        {"max_depth", limits.tree.max_depth},
        {"max_attributes", limits.tree.max_attributes},
        {"max_children", limits.tree.max_children},
    };
}

std::string_view delivery_name(offline::Delivery delivery) {
    switch (delivery) {
        case offline::Delivery::groupchat:
            return "groupchat";
        case offline::Delivery::notice:
            return "notice";
        case offline::Delivery::automatic:
            return "auto";
    }
    return "groupchat";
}

Json offline_json(const Link& link) {
    const offline::NoticeOptions& notice = link.offline.notice;
    return Json{
        {"delivery", delivery_name(link.offline.delivery)},
        {"only_mentions", link.offline.only_mentions},
        {"notice", Json{{"type", notice.type == offline::NoticeType::chat ? "chat" : "normal"},
                        {"min_interval_s", notice.min_interval.count()},
                        {"excerpt_chars", notice.excerpt_chars}}},
        {"enabled", link.offline_enabled},
        {"default", link.offline.offline_default},
        {"strip_field", link.offline.strip_field},
        {"pause_after_bounces", link.offline.pause_after_bounces},
        {"pending_ttl_ms", link.offline.pending_ttl.count()},
        {"bounce_ttl_ms", link.offline.bounce_ttl.count()},
        {"max_tracked_copies", link.offline.max_tracked_copies},
        {"max_pending_iq_bytes", link.offline.max_pending_iq_bytes},
        {"max_pending_join_bytes", link.offline.max_pending_join_bytes},
    };
}

}  // namespace

std::string effective_config_json(const Config& config) {
    Json links = Json::array();
    for (const auto& link : config.links) {
        links.push_back(Json{
            {"name", link.name},
            {"domain", link.domain},
            {"listen", endpoint_json(link.listen)},
            {"upstream", endpoint_json(link.upstream)},
            {"limits", limits_json(link.limits)},
            {"registration", link.offline.registration == offline::RegistrationMode::augment
                                 ? "augment"
                                 : "standalone"},
            {"offline", offline_json(link)},
        });
    }
    Json document = Json::object();
    document["links"] = std::move(links);
    document["store"] =
        Json{{"path", config.store.path}, {"max_retained_bytes", config.store.max_retained_bytes}};
    document["scheduling"] = Json{{"slice_us", config.scheduling.slice_us}};
    document["log"] = Json{{"level", config.log.level}, {"stanzas", config.log.stanzas}};
    document["metrics"] = Json{
        {"listen", config.metrics.listen ? endpoint_json(*config.metrics.listen) : Json(nullptr)},
        {"allow_remote", config.metrics.allow_remote},
        {"request_timeout_ms", config.metrics.request_timeout_ms},
        {"max_connections", config.metrics.max_connections}};
    document["capture"] = config.capture_path ? Json(*config.capture_path) : Json(nullptr);
    // Parsed text is valid UTF-8; replace guards a Config built by hand.
    return document.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace config
