#include "replay_command.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

#include "features.hpp"
#include "replay/replayer.hpp"
#include "replay/report.hpp"

namespace {

// The link a capture is replayed on: the config's first link, or a default one for the
// capture's domain when no config is given.
std::optional<config::Config> replay_config(const std::string& config_path,
                                            const std::vector<replay::Chunk>& chunks) {
    if (!config_path.empty()) {
        config::ParseResult result = config::load_config_file(config_path);
        if (result.error) {
            std::cerr << "muc-offline-proxy: " << result.error->message << "\n";
            return std::nullopt;
        }
        return result.config;
    }
    std::string domain = "conference.localhost";
    for (const replay::Chunk& chunk : chunks) {
        if (chunk.direction != xmpp::Direction::to_server) continue;
        auto at = chunk.data.find(" to='");
        if (at == std::string::npos) at = chunk.data.find(" to=\"");
        if (at != std::string::npos) {
            auto end = chunk.data.find(chunk.data[at + 4], at + 5);
            domain = chunk.data.substr(at + 5, end - at - 5);
        }
        break;
    }
    std::string text = R"({"links": [{"domain": ")" + domain +
                       R"(", "listen": {"port": 1}, "upstream": {"port": 2}}]})";
    return config::parse_config(text).config;
}

}  // namespace

int replay_command(const std::string& capture, const std::string& config_path,
                   const std::string& expect_path) {
    std::string error;
    auto chunks = replay::load_capture(capture, error);
    if (!chunks) {
        std::cerr << "muc-offline-proxy: " << error << "\n";
        return 1;
    }
    std::optional<config::Config> config = replay_config(config_path, *chunks);
    if (!config) return 1;
    Features features(*config);
    const config::Link& link = config->links.front();
    std::unique_ptr<xmpp::FilterChain> chain = features.chain_for(link);
    replay::ReplayResult result = replay::replay_capture(
        *chunks, replay::ReplayLink{link.domain, link.limits.max_stanza_bytes}, std::move(chain));
    std::shared_ptr<offline::OfflineDelivery> delivery = features.delivery(link.name);
    const std::string actual =
        replay::report(result, delivery ? offline::summary_line(*delivery) : std::string());
    if (expect_path.empty()) {
        std::cout << actual;
        return result.error.empty() ? 0 : 1;
    }
    std::ifstream file(expect_path);
    if (!file) {
        std::cerr << "muc-offline-proxy: " << expect_path << ": cannot read\n";
        return 1;
    }
    std::stringstream expected;
    expected << file.rdbuf();
    if (replay::without_comments(expected.str()) == actual) {
        std::cout << "replay matches " << expect_path << "\n";
        return 0;
    }
    std::cout << "replay differs from " << expect_path << "\n--- expected\n"
              << replay::without_comments(expected.str()) << "--- actual\n"
              << actual;
    return 1;
}
