// deploy/CONFIG.md, deploy/example-config.json and the config schema must say the same thing,
// so the operator's documentation cannot drift from the code (issue 7).
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "support/built_proxy.hpp"
#include "support/shell_command.hpp"

namespace fs = std::filesystem;
using Json = nlohmann::json;
using test_support::run_shell;

namespace {

const std::string& kProxy = test_support::built_proxy();
const std::string kDoc = "deploy/CONFIG.md";
const std::string kExample = "deploy/example-config.json";

// Every leaf's key path, with array elements written as `[]`: `links[].listen.port`.
void collect_key_paths(const Json& value, const std::string& path, std::set<std::string>& out) {
    if (value.is_object() && !value.empty()) {
        for (const auto& [key, member] : value.items()) {
            collect_key_paths(member, path.empty() ? key : path + "." + key, out);
        }
    } else if (value.is_array() && !value.empty()) {
        for (const auto& element : value) collect_key_paths(element, path + "[]", out);
    } else {
        out.insert(path);
    }
}

std::set<std::string> key_paths(const Json& document) {
    std::set<std::string> paths;
    collect_key_paths(document, "", paths);
    return paths;
}

struct DocumentedKey {
    std::string example;  // the row's example column, JSON without the backticks
};

std::string between_backticks(const std::string& cell) {
    const auto first = cell.find('`');
    const auto last = cell.rfind('`');
    if (first == std::string::npos || last == first) return "";
    return cell.substr(first + 1, last - first - 1);
}

// A key row is a table row whose first cell is a backticked key path; its fifth cell is the
// example.
std::map<std::string, DocumentedKey> documented_keys() {
    std::ifstream doc(kDoc);
    REQUIRE_MESSAGE(doc.good(), kDoc << " cannot be read");
    std::map<std::string, DocumentedKey> keys;
    std::string line;
    while (std::getline(doc, line)) {
        if (line.rfind("| `", 0) != 0) continue;
        std::vector<std::string> cells;
        std::stringstream row(line.substr(1));
        std::string cell;
        while (std::getline(row, cell, '|')) cells.push_back(cell);
        REQUIRE_MESSAGE(cells.size() >= 5, "a key row needs 5 cells: " << line);
        const std::string key = between_backticks(cells[0]);
        DocumentedKey documented{.example = between_backticks(cells[4])};
        CHECK_MESSAGE(keys.count(key) == 0, key << " has two rows");
        keys[key] = documented;
    }
    return keys;
}

std::string listed(const std::set<std::string>& keys) {
    std::string text;
    for (const auto& key : keys) text += " " + key;
    return text.empty() ? " (none)" : text;
}

std::set<std::string> minus(const std::set<std::string>& a, const std::set<std::string>& b) {
    std::set<std::string> rest;
    for (const auto& key : a)
        if (!b.count(key)) rest.insert(key);
    return rest;
}

// The per-link keys are overrides of top-level defaults: `links[].limits.K` is also `limits.K`.
std::set<std::string> with_top_level_defaults(const std::set<std::string>& printed) {
    std::set<std::string> keys = printed;
    for (const std::string prefix : {"links[].limits.", "links[].offline."}) {
        for (const auto& key : printed) {
            if (key.rfind(prefix, 0) == 0) keys.insert(key.substr(std::string("links[].").size()));
        }
    }
    if (printed.count("links[].registration")) keys.insert("registration");
    return keys;
}

}  // namespace

TEST_CASE("deploy/CONFIG.md: the example config validates and sets every documented key") {
    REQUIRE(fs::exists(kProxy));
    const auto checked = run_shell(kProxy + " check-config " + kExample);
    REQUIRE_MESSAGE(checked.status == 0, checked.output);

    std::set<std::string> documented;
    for (const auto& [key, row] : documented_keys()) documented.insert(key);
    std::ifstream example_file(kExample);
    const std::set<std::string> in_example = key_paths(Json::parse(example_file));
    CHECK_MESSAGE(
        minus(documented, in_example).empty(),
        "documented but not set in " << kExample << ":" << listed(minus(documented, in_example)));
    CHECK_MESSAGE(minus(in_example, documented).empty(),
                  "set in " << kExample << " but not documented in " << kDoc << ":"
                            << listed(minus(in_example, documented)));

    // Each row's example value is one the schema accepts there.
    for (const auto& [key, row] : documented_keys()) {
        CHECK_MESSAGE(!row.example.empty(), key << " has no example");
        CHECK_NOTHROW_MESSAGE(Json::parse(row.example), key << ": example is not JSON");
    }
}

TEST_CASE("deploy/CONFIG.md documents exactly the keys check-config prints and their defaults") {
    REQUIRE(fs::exists(kProxy));
    const auto checked = run_shell(kProxy + " check-config " + kExample);
    REQUIRE(checked.status == 0);
    const std::set<std::string> schema =
        with_top_level_defaults(key_paths(Json::parse(checked.output)));

    std::set<std::string> documented;
    for (const auto& [key, row] : documented_keys()) documented.insert(key);
    CHECK_MESSAGE(minus(schema, documented).empty(), "in the schema but not documented in "
                                                         << kDoc << ":"
                                                         << listed(minus(schema, documented)));
    CHECK_MESSAGE(minus(documented, schema).empty(),
                  "documented in " << kDoc << " but check-config does not print it:"
                                   << listed(minus(documented, schema)));
}
