// What /metrics and /healthz say: the relay's counters per link (lib/net), the feature's per
// link (lib/offline), the store's commit latency and the config reloads, gathered on the loop
// thread at each scrape.
#pragma once

#include <cstdint>
#include <string>

#include "net/loop_busy.hpp"
#include "net/metrics_endpoint.hpp"
#include "net/proxy.hpp"

namespace durable {
class DurableState;
}
class Features;

struct ReloadCounters {
    std::uint64_t applied = 0;
    std::uint64_t refused = 0;
};

class MetricsPage {
  public:
    MetricsPage(const net::Proxy& proxy, const Features& features,
                const durable::DurableState& durable, const ReloadCounters& reloads,
                const net::LoopBusyMeter& loop_busy, const net::MetricsEndpointCounters& endpoint)
        : proxy_(proxy),
          features_(features),
          durable_(durable),
          reloads_(reloads),
          loop_busy_(loop_busy),
          endpoint_(endpoint) {}

    std::string metrics() const;
    // Healthy while every link's listener accepts and the store writes (a store that cannot
    // refuses registrations); a link whose MUC is not connected is shown in the text but is
    // not unhealthy: restarting the proxy would not bring the MUC back.
    net::HealthReport health() const;
    net::MetricsPages pages() const;

  private:
    const net::Proxy& proxy_;
    const Features& features_;
    const durable::DurableState& durable_;
    const ReloadCounters& reloads_;
    const net::LoopBusyMeter& loop_busy_;
    const net::MetricsEndpointCounters& endpoint_;
};
