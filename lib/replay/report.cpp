#include "replay/report.hpp"

#include <sstream>

namespace replay {
namespace {

std::string one_line(std::string text) {
    for (char& c : text) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    return text;
}

}  // namespace

std::string report(const ReplayResult& result, const std::string& summary) {
    std::ostringstream out;
    for (const Change& change : result.changes) {
        if (change.kind == Change::Kind::note) {
            out << "note " << one_line(change.bytes) << "\n";
        } else if (change.kind == Change::Kind::persist) {
            out << "persist";
            if (!change.bytes.empty()) {
                out << " (should the commit fail, " << xmpp::direction_name(change.direction)
                    << " instead: " << one_line(change.bytes) << ")";
            }
            out << "\n";
        } else {
            out << xmpp::direction_name(change.direction) << " " << kind_name(change.kind) << " "
                << one_line(change.bytes) << "\n";
        }
    }
    if (!result.error.empty()) out << "error " << result.error << "\n";
    if (!summary.empty()) out << "summary " << summary << "\n";
    return out.str();
}

std::string without_comments(const std::string& text) {
    std::istringstream in(text);
    std::string line, kept;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        kept += line + "\n";
    }
    return kept;
}

}  // namespace replay
