#include "transcript.hpp"

#include <algorithm>
#include <sstream>

namespace rig {
namespace {

std::string normalized_line(const std::string& client, const StanzaRecord& stanza) {
    std::ostringstream line;
    line << client << " <- " << stanza.name << " type=" << (stanza.type.empty() ? "-" : stanza.type)
         << " from=" << (stanza.from.empty() ? "-" : stanza.from);
    if (!stanza.id.empty()) line << " id=" << (stanza.id.rfind("e2e-", 0) == 0 ? stanza.id : "*");
    if (!stanza.status_codes.empty()) {
        std::vector<int> codes = stanza.status_codes;
        std::sort(codes.begin(), codes.end());
        line << " status=";
        for (std::size_t i = 0; i < codes.size(); ++i) line << (i ? "," : "") << codes[i];
    }
    if (!stanza.payload_ns.empty()) line << " payload=" << stanza.payload_ns;
    if (!stanza.error_condition.empty()) line << " error=" << stanza.error_condition;
    if (stanza.has_delay) line << " delayed";
    if (stanza.has_subject) line << " subject=\"" << stanza.subject << "\"";
    if (stanza.has_body) line << " body=\"" << stanza.body << "\"";
    return line.str();
}

}  // namespace

std::vector<std::string> normalized_transcript(const std::vector<const Client*>& clients) {
    std::vector<std::string> lines;
    for (const Client* client : clients) {
        for (const auto& stanza : client->received()) {
            lines.push_back(normalized_line(client->label(), stanza));
        }
    }
    return lines;
}

std::string first_difference(const std::vector<std::string>& expected,
                             const std::vector<std::string>& actual,
                             const std::string& expected_name, const std::string& actual_name) {
    std::size_t common = std::min(expected.size(), actual.size());
    std::size_t at = 0;
    while (at < common && expected[at] == actual[at]) ++at;
    if (at == common && expected.size() == actual.size()) return {};
    std::ostringstream why;
    why << "transcripts differ at line " << at + 1 << " (" << expected_name << " has "
        << expected.size() << " lines, " << actual_name << " has " << actual.size() << ")\n"
        << "  " << expected_name << ": " << (at < expected.size() ? expected[at] : "(end)") << "\n"
        << "  " << actual_name << ": " << (at < actual.size() ? actual[at] : "(end)") << "\n"
        << "full " << expected_name << " transcript:\n";
    for (const auto& line : expected) why << "    " << line << "\n";
    why << "full " << actual_name << " transcript:\n";
    for (const auto& line : actual) why << "    " << line << "\n";
    return why.str();
}

}  // namespace rig
