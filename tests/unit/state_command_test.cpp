// `muc-offline-proxy state import|export|list` as an operator runs them (the built binary).
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/built_proxy.hpp"
#include "support/shell_command.hpp"

namespace fs = std::filesystem;

namespace {

using Run = test_support::CommandResult;

Run run(const std::string& arguments) {
    return test_support::run_shell(test_support::built_proxy() + " " + arguments);
}

}  // namespace

TEST_CASE("state commands: import a sample, list and export it back, refuse bad input") {
    REQUIRE(fs::exists(test_support::built_proxy()));
    char pattern[] = "/tmp/state-command-XXXXXX";
    const fs::path dir = mkdtemp(pattern);
    const std::string store = (dir / "state.db").string();
    const std::string sample = (dir / "sample.json").string();
    std::ofstream(sample)
        << R"({"muc-offline-proxy-state": 1, "links": {"conference": {"registrations": [
        {"room": "Lobby@Conference.Example.org", "jid": "Bob@Example.org", "nick": "bob", "offline": true},
        {"room": "lobby@conference.example.org", "jid": "carol@example.org", "nick": "carol", "offline": false}],
        "paused": ["dave@example.org"], "notices": ["dave@example.org", "erin@example.org"]}}})";

    Run imported = run("state import " + sample + " --store " + store);
    CHECK(imported.status == 0);
    CHECK(imported.output == "imported 4 entries into " + store + "\n");

    Run listed = run("state list --store " + store + " --jid bob@example.org");
    CHECK(listed.status == 0);
    CHECK(listed.output ==
          "link conference\n  registration lobby@conference.example.org bob@example.org nick=bob "
          "offline=yes delivery=copies (absent)\n");
    // With the config, the link's delivery mode shows; members switched by "auto" say so.
    const std::string config = (dir / "proxy.json").string();
    std::ofstream(config)
        << R"({"links": [{"name": "conference", "domain": "conference.example.org",
        "listen": {"port": 5348}, "upstream": {"port": 5347}, "offline": {"delivery": "notice"}}],
        "store": {"path": ")" +
               store + R"("}})";
    CHECK(run("state list --config " + config + " --jid bob@example.org").output ==
          "link conference\n  registration lobby@conference.example.org bob@example.org nick=bob "
          "offline=yes delivery=notices (absent)\n");
    std::ofstream(sample)
        << R"({"muc-offline-proxy-state": 1, "links": {"conference": {"registrations": [
        {"room": "lobby@conference.example.org", "jid": "erin@example.org", "nick": "erin", "offline": true}]}}})";
    REQUIRE(run("state import " + sample + " --store " + store).status == 0);
    CHECK(run("state list --store " + store + " --jid erin@example.org").output ==
          "link conference\n  registration lobby@conference.example.org erin@example.org "
          "nick=erin offline=yes delivery=notices (auto: its server refused a copy) (absent)\n");

    const std::string exported = (dir / "export.json").string();
    CHECK(run("state export --store " + store + " -o " + exported).status == 0);
    // An export imports again into an empty store and lists the same.
    const std::string copy = (dir / "copy.db").string();
    CHECK(run("state import " + exported + " --store " + copy).status == 0);
    CHECK(run("state list --store " + copy).output == run("state list --store " + store).output);

    const std::string bad = (dir / "bad.json").string();
    std::ofstream(bad)
        << R"({"muc-offline-proxy-state": 1, "links": {"c": {"registrations": [{"room": "no-local-part", "jid": "x@y"}]}}})";
    Run refused = run("state import " + bad + " --store " + store);
    CHECK(refused.status == 1);
    CHECK(refused.output.find("links.c.registrations[0].room: expected a room's bare JID") !=
          std::string::npos);

    CHECK(
        run("state list --store " + (dir / "missing.db").string()).output.find("does not exist") !=
        std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE(
    "state commands: registrations from Prosody's mod_muc_offline_delivery import as documented") {
    REQUIRE(fs::exists(test_support::built_proxy()));
    char pattern[] = "/tmp/state-migrate-XXXXXX";
    const fs::path dir = mkdtemp(pattern);
    const std::string json = (dir / "from-prosody.json").string();
    const std::string store = (dir / "state.db").string();
    // As deploy/migrate says: the script over the MUC's config store, then state import.
    int converted = std::system(("lua5.4 deploy/migrate/prosody-offline-delivery-to-json.lua "
                                 "tests/unit/data/prosody-muc-config conference > " +
                                 json + " 2>/dev/null")
                                    .c_str());
    REQUIRE(WEXITSTATUS(converted) == 0);
    Run imported = run("state import " + json + " --store " + store);
    CHECK(imported.status == 0);
    CHECK(run("state list --store " + store).output ==
          "link conference\n"
          "  registration lobby@conference.example.org bob@example.org nick=bob offline=yes "
          "delivery=copies (absent)\n"
          "  registration lobby@conference.example.org carol@example.org nick=Carol \"C\" "
          "offline=no (absent)\n"
          "  registration lobby@conference.example.org dave@example.org nick=dave offline=no "
          "(absent)\n");
    fs::remove_all(dir);
}

TEST_CASE("run: a store it cannot trust stops the start with a message naming the file") {
    REQUIRE(fs::exists(test_support::built_proxy()));
    char pattern[] = "/tmp/run-store-XXXXXX";
    const fs::path dir = mkdtemp(pattern);
    const std::string garbage = (dir / "state.db").string();
    std::ofstream(garbage) << std::string(8192, 'z');
    const std::string config = (dir / "proxy.json").string();
    std::ofstream(config) << R"({"store": {"path": ")" << garbage << R"("},
        "links": [{"domain": "conference.localhost", "listen": {"port": 1}, "upstream": {"port": 2}}]})";
    Run refused = run("run --config " + config);
    CHECK(refused.status == 1);
    CHECK(refused.output.find("cannot start: store " + garbage +
                              " is damaged or not a muc-offline-proxy store") != std::string::npos);
    CHECK(fs::file_size(garbage) == 8192);
    fs::remove_all(dir);
}

TEST_CASE("run: another program's SQLite file with user_version 1 stops the start, untouched") {
    REQUIRE(fs::exists(test_support::built_proxy()));
    char pattern[] = "/tmp/run-store-XXXXXX";
    const fs::path dir = mkdtemp(pattern);
    const std::string places = (dir / "places.sqlite").string();
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(places.c_str(), &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT);"
                       "PRAGMA user_version = 1;",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    const auto size = fs::file_size(places);
    const std::string config = (dir / "proxy.json").string();
    std::ofstream(config) << R"({"store": {"path": ")" << places << R"("},
        "links": [{"domain": "conference.localhost", "listen": {"port": 1}, "upstream": {"port": 2}}]})";
    // A proxy that does start would run until the timeout (status 124).
    Run refused = test_support::run_shell("timeout 10 " + test_support::built_proxy() +
                                          " run --config " + config);
    INFO(refused.output);
    CHECK(refused.status == 1);
    CHECK(refused.output.find("cannot start: store " + places +
                              " is not a muc-offline-proxy store: an SQLite database of another "
                              "program (application_id 0x00000000, user_version 1, tables: "
                              "moz_places)") != std::string::npos);
    CHECK(fs::file_size(places) == size);
    CHECK_FALSE(fs::exists(places + "-wal"));
    fs::remove_all(dir);
}
