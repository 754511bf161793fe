#pragma once
// What the proxy's log says about a link, for tests that check its counters. The proxy logs
// them when it stops: "link conference: registrations ...; copies sent N; bounces swallowed N;
// ...; notices sent N; notices suppressed N; members switched to notices N".
#include <filesystem>

namespace rig {

struct ProxyCounters {
    bool found = false;
    long copies_sent = -1;
    long bounces_swallowed = -1;
    // -1 when the line has no notice counters (a proxy without notice delivery).
    long notices_sent = -1;
    long notices_suppressed = -1;
    long members_switched_to_notices = -1;
};

// The last counters line in the log, or found == false.
ProxyCounters last_logged_counters(const std::filesystem::path& log);

}  // namespace rig
