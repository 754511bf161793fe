// The offline-delivery filter of each configured link. One per link, kept across the MUC's
// reconnections: registrations and occupancy belong to the link, not to one TCP session.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "durable/durable_state.hpp"
#include "net/listener.hpp"
#include "offline/offline_delivery.hpp"

class Features {
  public:
    // With `durable`, each link's filter starts from what it kept (the changes it decides to
    // keep reach it through the sessions' record decisions).
    Features(const config::Config& config, durable::DurableState* durable = nullptr);

    // A reload: a link whose feature stays on for the same domain keeps its state and takes
    // the new options at once; a new one (or a new domain) starts from what the store kept
    // (call after the store has everything recorded so far); a link gone or turned off is
    // dropped here, its sessions keep their filter until they end.
    void reconfigure(const config::Config& next);

    std::unique_ptr<xmpp::FilterChain> chain_for(const config::Link& link) const;
    net::ChainFactory factory() const;
    std::shared_ptr<offline::OfflineDelivery> delivery(const std::string& link_name) const;

    // One line per link with the feature's counters, for the log and the replay summary.
    std::vector<std::string> summary() const;

  private:
    std::shared_ptr<offline::OfflineDelivery> make_delivery(const config::Link& link) const;

    durable::DurableState* durable_;
    std::map<std::string, std::shared_ptr<offline::OfflineDelivery>> by_link_;
};
