// The proxy's effective configuration: what `run` uses and `check-config` prints.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "offline/options.hpp"

namespace config {

struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
    bool operator==(const Endpoint&) const = default;
};

// Per-side limits (RFC 6120 §13.12 lets a server pick its own stanza size limit).
struct Limits {
    std::size_t max_stanza_bytes = 1024 * 1024;
    // A direction stops reading its source while the destination's write queue holds more
    // than high_watermark bytes, and resumes once it drains below low_watermark.
    std::size_t write_queue_high_bytes = 4 * 1024 * 1024;
    std::size_t write_queue_low_bytes = 1024 * 1024;
    // A component that connects and does not finish the XEP-0114 handshake in time is dropped.
    std::uint32_t handshake_timeout_ms = 30000;
    std::uint32_t upstream_connect_timeout_ms = 10000;
    // The shape of a stanza the feature reads as a tree (forms, admin iqs, disco, presences'
    // status codes); the hot path never checks them (xmpp/tree_shape.hpp).
    xmpp::TreeLimits tree;
    bool operator==(const Limits&) const = default;
};

struct Link {
    std::string name;    // defaults to `domain`; used in logs and captures
    std::string domain;  // the component's JID (XEP-0114 stream `to`)
    Endpoint listen;     // where the MUC connects
    Endpoint upstream;   // the XMPP server's component port
    Limits limits;       // top-level `limits` with this link's `limits` overrides applied
    // The offline-delivery feature on this link: top-level `registration` and `offline`
    // with this link's overrides applied, and `limits.tree` as its tree_limits. Off, the link
    // is a plain transparent relay.
    bool offline_enabled = true;
    offline::Options offline;
    bool operator==(const Link&) const = default;
};

struct Log {
    std::string level = "info";  // trace debug info warn error
    // Stanza contents (bodies, forms) in log lines: for debugging only, they are private.
    bool stanzas = false;
    bool operator==(const Log&) const = default;
};

// The HTTP endpoint for Prometheus (/metrics) and health checks (/healthz).
struct Metrics {
    std::optional<Endpoint> listen;  // off when absent
    // The numbers name links and count members: loopback only unless the operator says so.
    bool allow_remote = false;
    // A request must arrive whole within this time from its first byte (slowloris).
    std::uint32_t request_timeout_ms = 10000;
    // Past this many open connections a new one closes the one waiting longest for a request.
    std::uint32_t max_connections = 64;
    bool operator==(const Metrics&) const = default;
};

struct Store {
    // The SQLite file of the feature's state. ":memory:" keeps nothing (tests only).
    std::string path = "muc-offline-proxy.db";
    // Changes a failing store could not write are kept (and retried) up to this many bytes;
    // past it the oldest are dropped: the running proxy still has them, the file will not.
    std::size_t max_retained_bytes = 64 * 1024 * 1024;
    bool operator==(const Store&) const = default;
};

struct Scheduling {
    // The loop thread's requested scheduling slice (net/scheduler_slice.hpp); 0 leaves the
    // kernel's own.
    std::uint32_t slice_us = 100;
    bool operator==(const Scheduling&) const = default;
};

struct Config {
    std::vector<Link> links;
    Store store;
    Scheduling scheduling;
    Log log;
    Metrics metrics;
    std::optional<std::string> capture_path;  // JSON Lines of every chunk read, per link
    bool operator==(const Config&) const = default;
};

// A config that failed validation. `what()` names the key path and what was expected, e.g.
// `links[0].upstream.port: expected an integer 1-65535, got "abc"`.
struct ConfigError {
    std::string message;
};

// Parses and validates JSON text. Unknown keys are errors. On failure returns the first error.
struct ParseResult {
    std::optional<Config> config;
    std::optional<ConfigError> error;
};
ParseResult parse_config(const std::string& json_text);
ParseResult load_config_file(const std::string& path);

// The effective config (defaults filled in) as pretty JSON, for `check-config`.
std::string effective_config_json(const Config& config);

// "host:port", with brackets around an IPv6 host.
std::string describe_endpoint(const Endpoint& endpoint);

}  // namespace config
