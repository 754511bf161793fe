#include "features.hpp"

Features::Features(const config::Config& config) {
    for (const config::Link& link : config.links) {
        if (link.offline_enabled) {
            by_link_[link.name] =
                std::make_shared<offline::OfflineDelivery>(link.offline, link.domain);
        }
    }
}

std::unique_ptr<xmpp::FilterChain> Features::chain_for(const config::Link& link) const {
    auto chain = std::make_unique<xmpp::FilterChain>();
    if (auto delivery = this->delivery(link.name)) chain->add(delivery);
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
