#include "features.hpp"

#include <malloc.h>

#include "offline/delivery_session.hpp"

Features::Features(const config::Config& config, durable::DurableState* durable)
    : durable_(durable) {
    for (const config::Link& link : config.links) {
        if (link.offline_enabled) by_link_[link.name] = make_delivery(link);
    }
    // Loading a large state leaves freed rows in the heap; hand them back so the resident size
    // is the state's, not the load's peak.
    ::malloc_trim(0);
}

std::shared_ptr<offline::OfflineDelivery> Features::make_delivery(const config::Link& link) const {
    // State is kept by link name: renaming a link in the config starts it afresh.
    auto delivery = std::make_shared<offline::OfflineDelivery>(link.offline, link.domain);
    if (durable_ != nullptr) delivery->restore(durable_->load(link.name));
    return delivery;
}

void Features::reconfigure(const config::Config& next) {
    std::map<std::string, std::shared_ptr<offline::OfflineDelivery>> kept;
    for (const config::Link& link : next.links) {
        if (!link.offline_enabled) continue;
        auto it = by_link_.find(link.name);
        if (it != by_link_.end() && it->second->domain() == link.domain) {
            it->second->set_options(link.offline);
            kept[link.name] = it->second;
        } else {
            kept[link.name] = make_delivery(link);
        }
    }
    by_link_ = std::move(kept);
}

std::unique_ptr<xmpp::FilterChain> Features::chain_for(const config::Link& link) const {
    auto chain = std::make_unique<xmpp::FilterChain>();
    // Each session runs the link's state through a filter of its own.
    if (auto delivery = this->delivery(link.name)) chain->add(offline::open_session(delivery));
    return chain;
}

net::ChainFactory Features::factory() const {
    return [this](const config::Link& link) { return chain_for(link); };
}

std::shared_ptr<offline::OfflineDelivery> Features::delivery(const std::string& link_name) const {
    auto it = by_link_.find(link_name);
    return it == by_link_.end() ? nullptr : it->second;
}

std::vector<std::string> Features::summary() const {
    std::vector<std::string> lines;
    for (const auto& [name, delivery] : by_link_)
        lines.push_back("link " + name + ": " + offline::summary_line(*delivery));
    return lines;
}
