#include "replay/capture_file.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

namespace replay {

std::optional<std::vector<Chunk>> load_capture(const std::string& path, std::string& error) {
    std::ifstream file(path);
    if (!file) {
        error = path + ": cannot read";
        return std::nullopt;
    }
    std::vector<Chunk> chunks;
    std::string line;
    int number = 0;
    std::optional<std::pair<std::string, long long>> session;
    while (std::getline(file, line)) {
        ++number;
        if (line.empty()) continue;
        nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
        const std::string where = path + ":" + std::to_string(number) + ": ";
        if (record.is_discarded() || !record.is_object()) {
            error = where + "not a JSON object";
            return std::nullopt;
        }
        if (!record.contains("t") || !record["t"].is_number() || !record.contains("dir") ||
            !record["dir"].is_string() || !record.contains("data") || !record["data"].is_string()) {
            error = where + "expected {\"t\": number, \"dir\": string, \"data\": string}";
            return std::nullopt;
        }
        if (record.contains("session")) {
            std::pair<std::string, long long> this_session{record.value("link", ""),
                                                           record["session"].get<long long>()};
            if (!session) session = this_session;
            if (*session != this_session) continue;
        }
        Chunk chunk;
        chunk.t = record["t"].get<double>();
        const std::string dir = record["dir"].get<std::string>();
        if (dir == "component->server") {
            chunk.direction = xmpp::Direction::to_server;
        } else if (dir == "server->component") {
            chunk.direction = xmpp::Direction::to_component;
        } else {
            error = where + "dir must be \"component->server\" or \"server->component\", got \"" +
                    dir + "\"";
            return std::nullopt;
        }
        chunk.data = record["data"].get<std::string>();
        chunks.push_back(std::move(chunk));
    }
    return chunks;
}

}  // namespace replay
