#include "config/json_reader.hpp"

#include <algorithm>

namespace config {
namespace {

constexpr std::size_t kQuoteLimit = 40;

// nlohmann reports `byte`, the 1-based offset of the last character it read; people edit
// config files by line and column.
std::string describe_position(const std::string& text, std::size_t byte) {
    const std::size_t offset = std::min(byte == 0 ? 0 : byte - 1, text.size());
    const std::string_view before(text.data(), offset);
    const auto line = 1 + std::count(before.begin(), before.end(), '\n');
    const auto last_newline = before.rfind('\n');
    const auto column = last_newline == std::string_view::npos ? offset + 1 : offset - last_newline;
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// what() reads "[json.exception.parse_error.101] parse error at line 1, column 9: syntax
// error while parsing value - invalid literal; last read: '1} x'; expected end of input";
// keep only what went wrong and what was expected.
std::string short_reason(std::string_view what) {
    if (const auto heading = what.find("parse error"); heading != std::string_view::npos) {
        if (const auto colon = what.find(": ", heading); colon != std::string_view::npos) {
            what.remove_prefix(colon + 2);
        }
    }
    if (what.starts_with("syntax error while parsing")) {
        if (const auto dash = what.find(" - "); dash != std::string_view::npos) {
            what.remove_prefix(dash + 3);
        }
    }
    // "; last read: '...'" repeats the text since the previous token, newlines and all; the
    // line and column already say where.
    std::string reason(what);
    if (const auto last_read = reason.find("; last read: '"); last_read != std::string::npos) {
        const auto expected = reason.find("'; expected", last_read);
        reason.erase(last_read,
                     expected == std::string::npos ? std::string::npos : expected + 1 - last_read);
    }
    return reason;
}

}  // namespace

Json parse_json_text(const std::string& text) {
    try {
        return Json::parse(text);
    } catch (const Json::parse_error& error) {
        throw ConfigError{"config: invalid JSON at " + describe_position(text, error.byte) + ": " +
                          short_reason(error.what())};
    }
}

std::string quote_json(const Json& value) {
    std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (text.size() <= kQuoteLimit) return text;
    std::size_t cut = kQuoteLimit;
    // Never split a UTF-8 sequence: back off over continuation bytes (10xxxxxx).
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
    return text + "...";
}

std::string ConfigValue::path_of(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void ConfigValue::expect_object_with_keys(std::initializer_list<std::string_view> known) const {
    if (!json_->is_object()) reject("expected an object");
    for (const auto& [key, value] : json_->items()) {
        if (std::find(known.begin(), known.end(), key) == known.end()) {
            throw ConfigError{path_of(key) + ": unknown key"};
        }
    }
}

std::optional<ConfigValue> ConfigValue::member(std::string_view key) const {
    const auto found = json_->find(key);
    if (found == json_->end()) return std::nullopt;
    return ConfigValue(*found, path_of(key));
}

ConfigValue ConfigValue::required_member(std::string_view key) const {
    auto value = member(key);
    if (!value) throw ConfigError{path_of(key) + ": required key is missing"};
    return *value;
}

ConfigValue ConfigValue::element(std::size_t index) const {
    return ConfigValue(json_->at(index), path_ + "[" + std::to_string(index) + "]");
}

std::uint64_t ConfigValue::integer(std::uint64_t min, std::uint64_t max) const {
    // Only non-negative integers parse as number_unsigned; 1.5, 1.0, -3, true and "3" all
    // fall through to the same message.
    if (json_->is_number_unsigned()) {
        const auto number = json_->get<std::uint64_t>();
        if (number >= min && number <= max) return number;
    }
    reject("expected an integer " + std::to_string(min) + "-" + std::to_string(max));
}

bool ConfigValue::boolean() const {
    if (!json_->is_boolean()) reject("expected true or false");
    return json_->get<bool>();
}

std::string ConfigValue::non_empty_string(std::string_view expected) const {
    if (!json_->is_string() || json_->get_ref<const std::string&>().empty()) reject(expected);
    return json_->get<std::string>();
}

void ConfigValue::reject(std::string_view expected) const {
    complain(std::string(expected) + ", got " + quote_json(*json_));
}

void ConfigValue::complain(std::string_view message) const {
    throw ConfigError{path() + ": " + std::string(message)};
}

}  // namespace config
