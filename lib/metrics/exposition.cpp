#include "metrics/exposition.hpp"

#include <charconv>
#include <cmath>

namespace metrics {
namespace {

// HELP text escapes backslash and newline; label values also escape the double quote.
void append_escaped(std::string& out, std::string_view text, bool quote) {
    for (char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (quote && c == '"') {
            out += "\\\"";
        } else {
            out += c;
        }
    }
}

}  // namespace

void Exposition::family(std::string_view name, std::string_view type, std::string_view help) {
    family_ = name;
    text_.append("# HELP ").append(name).append(" ");
    append_escaped(text_, help, false);
    text_.append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
}

void Exposition::start_sample(std::initializer_list<Label> labels, std::string_view suffix) {
    text_.append(family_).append(suffix);
    if (labels.size() == 0) {
        text_ += ' ';
        return;
    }
    text_ += '{';
    bool first = true;
    for (const Label& label : labels) {
        if (!first) text_ += ',';
        first = false;
        text_.append(label.name).append("=\"");
        append_escaped(text_, label.value, true);
        text_ += '"';
    }
    text_.append("} ");
}

void Exposition::sample(std::initializer_list<Label> labels, std::uint64_t value,
                        std::string_view suffix) {
    start_sample(labels, suffix);
    text_.append(std::to_string(value)).append("\n");
}

void Exposition::sample(std::initializer_list<Label> labels, double value,
                        std::string_view suffix) {
    start_sample(labels, suffix);
    if (std::isinf(value)) {
        text_.append(value > 0 ? "+Inf" : "-Inf");
    } else if (std::isnan(value)) {
        text_.append("NaN");
    } else {
        char buffer[32];
        auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
        text_.append(buffer, result.ptr);
    }
    text_ += '\n';
}

}  // namespace metrics
