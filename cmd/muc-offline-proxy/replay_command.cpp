#include "replay_command.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

#include "features.hpp"
#include "replay/replayer.hpp"

namespace {

// The link a capture is replayed on: the config's first link, or a default one for the
// capture's domain when no config is given.
std::optional<config::Config> replay_config(const std::string& config_path, const std::vector<replay::Chunk>& chunks) {
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

std::string one_line(std::string text) {
    for (char& c : text) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    return text;
}

std::string report(const replay::ReplayResult& result, const offline::OfflineDelivery* delivery) {
    std::ostringstream out;
    for (const replay::Change& change : result.changes) {
        out << xmpp::direction_name(change.direction) << " " << replay::kind_name(change.kind) << " "
            << one_line(change.bytes) << "\n";
    }
    for (const std::string& note : result.notes) out << "note " << note << "\n";
    if (!result.error.empty()) out << "error " << result.error << "\n";
    if (delivery != nullptr) out << "summary " << summary_line(*delivery) << "\n";
    return out.str();
}

// Expectation files may hold comments (#) and blank lines: they name why a line differs
// from the reference.
std::string without_comments(const std::string& text) {
    std::istringstream in(text);
    std::string line, kept;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        kept += line + "\n";
    }
    return kept;
}

}  // namespace

int replay_command(const std::string& capture, const std::string& config_path, const std::string& expect_path) {
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
    replay::ReplayResult result = replay::replay_capture(*chunks, *chain);
    std::shared_ptr<offline::OfflineDelivery> delivery = features.delivery(link.name);
    const std::string actual = report(result, delivery.get());
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
    if (without_comments(expected.str()) == actual) {
        std::cout << "replay matches " << expect_path << "\n";
        return 0;
    }
    std::cout << "replay differs from " << expect_path << "\n--- expected\n"
              << without_comments(expected.str()) << "--- actual\n"
              << actual;
    return 1;
}
