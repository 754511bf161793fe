#include "proxy_log.hpp"

#include <regex>
#include <sstream>
#include <string>

#include "text_file.hpp"

namespace rig {

ProxyCounters last_logged_counters(const std::filesystem::path& log) {
    const std::regex line(R"(copies sent (\d+); bounces swallowed (\d+))");
    const std::regex notices(
        R"(notices sent (\d+); notices suppressed (\d+); members switched to notices (\d+))");
    ProxyCounters counters;
    std::istringstream lines(read_text_file(log));
    std::string text;
    std::smatch match;
    while (std::getline(lines, text)) {
        if (std::regex_search(text, match, line)) {
            counters.found = true;
            counters.copies_sent = std::stol(match[1]);
            counters.bounces_swallowed = std::stol(match[2]);
            counters.notices_sent = counters.notices_suppressed =
                counters.members_switched_to_notices = -1;
            if (std::regex_search(text, match, notices)) {
                counters.notices_sent = std::stol(match[1]);
                counters.notices_suppressed = std::stol(match[2]);
                counters.members_switched_to_notices = std::stol(match[3]);
            }
        }
    }
    return counters;
}

}  // namespace rig
