#include "xml/start_tag.hpp"

namespace xml {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

}  // namespace

std::optional<ValueSpan> find_attribute(std::string_view raw, std::string_view name) {
    std::size_t at = 1;  // past '<'
    while (at < raw.size() && !is_space(raw[at]) && raw[at] != '>' && raw[at] != '/')
        ++at;  // element name
    while (at < raw.size()) {
        while (at < raw.size() && is_space(raw[at])) ++at;
        if (at >= raw.size() || raw[at] == '>' || raw[at] == '/') return std::nullopt;
        std::size_t name_start = at;
        while (at < raw.size() && raw[at] != '=' && !is_space(raw[at])) ++at;
        std::string_view attribute = raw.substr(name_start, at - name_start);
        while (at < raw.size() && (is_space(raw[at]) || raw[at] == '=')) ++at;
        if (at >= raw.size()) return std::nullopt;
        char quote = raw[at];
        std::size_t value_start = ++at;
        std::size_t value_end = raw.find(quote, value_start);
        if (value_end == std::string_view::npos) return std::nullopt;
        if (attribute == name) return ValueSpan{value_start, value_end - value_start, quote};
        at = value_end + 1;
    }
    return std::nullopt;
}

std::size_t start_tag_end(std::string_view raw) {
    char quote = 0;
    for (std::size_t at = 0; at < raw.size(); ++at) {
        char c = raw[at];
        if (quote != 0) {
            if (c == quote) quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '>') {
            return at + 1;
        }
    }
    return std::string_view::npos;
}

}  // namespace xml
