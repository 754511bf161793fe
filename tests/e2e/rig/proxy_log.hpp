#pragma once
// What the proxy's log says about a link, for tests that check its counters. The proxy logs
// them when it stops: "link conference: registrations ...; copies sent N; bounces swallowed N".
#include <filesystem>

namespace rig {

struct ProxyCounters {
    bool found = false;
    long copies_sent = -1;
    long bounces_swallowed = -1;
};

// The last counters line in the log, or found == false.
ProxyCounters last_logged_counters(const std::filesystem::path& log);

}  // namespace rig
