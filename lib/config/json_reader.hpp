// A validating reader over parsed JSON: each ConfigValue knows its key path in the config
// (`links[0].upstream.port`), so every complaint names where it is and quotes what it found.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace config {

// ordered_json keeps keys in document order, so "unknown key" reports the first one the
// reader wrote rather than the alphabetically first.
using Json = nlohmann::ordered_json;

// Parses config text; a syntax error throws ConfigError naming line and column.
Json parse_json_text(const std::string& text);

// Readers throw ConfigError at the first problem; parse_config catches it. Validation stops
// at the first error, and passing a result through every nested read would bury the schema.
class ConfigValue {
  public:
    static ConfigValue root(const Json& document) { return ConfigValue(document, ""); }

    const Json& json() const { return *json_; }
    // The key path, or "config" for the document itself.
    std::string path() const { return path_.empty() ? "config" : path_; }
    std::string path_of(std::string_view key) const;

    // Requires an object whose keys are all in `known`.
    void expect_object_with_keys(std::initializer_list<std::string_view> known) const;
    std::optional<ConfigValue> member(std::string_view key) const;
    ConfigValue required_member(std::string_view key) const;
    ConfigValue element(std::size_t index) const;

    std::uint64_t integer(std::uint64_t min, std::uint64_t max) const;
    std::string non_empty_string(std::string_view expected = "expected a non-empty string") const;
    bool boolean() const;

    // `<path>: <expected>, got <the value as JSON>`
    [[noreturn]] void reject(std::string_view expected) const;
    // `<path>: <message>`
    [[noreturn]] void complain(std::string_view message) const;

  private:
    ConfigValue(const Json& json, std::string path) : json_(&json), path_(std::move(path)) {}

    const Json* json_;
    std::string path_;
};

// A value as compact JSON text, cut to about 40 characters so one message stays one line.
std::string quote_json(const Json& value);

}  // namespace config
