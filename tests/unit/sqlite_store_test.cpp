// The SQLite store in a temporary directory: what is written comes back, one proxy per file,
// and a file it cannot trust stops it with a message instead of an empty start.
#include "store/sqlite_store.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using offline::StateChange;
using store::SqliteStore;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        char pattern[] = "/tmp/store-test-XXXXXX";
        path = mkdtemp(pattern);
    }
    ~TempDir() { fs::remove_all(path); }
};

StateChange registration(std::string room, std::string member, std::string nick, bool offline) {
    StateChange change{StateChange::Kind::put_registration, std::move(room), std::move(member), {}};
    change.registration = {std::move(nick), offline};
    change.at_ms = 1234;
    return change;
}

}  // namespace

TEST_CASE("store: changes are applied in one transaction and read back after reopening") {
    TempDir dir;
    const std::string path = (dir.path / "state.db").string();
    std::string error;
    {
        auto store = SqliteStore::open(path, SqliteStore::Mode::read_write, error);
        REQUIRE_MESSAGE(store, error);
        StateChange session{
            StateChange::Kind::put_session, "room@c", "bob@x/phone", {"bob", false}};
        StateChange member{StateChange::Kind::put_member, "", "carol@x", {}};
        member.paused = true;
        member.bounce_streak = 5;
        REQUIRE(store->apply({{"link1", registration("room@c", "bob@x", "bob", true)},
                              {"link1", registration("room@c", "carol@x", "carol", false)},
                              {"link2", registration("other@c", "dave@x", "dave", true)},
                              {"link1", session},
                              {"link1", member}},
                             error));
        StateChange removal{StateChange::Kind::remove_registration, "room@c", "carol@x", {}};
        REQUIRE(store->apply({{"link1", removal}}, error));
    }
    auto store = SqliteStore::open(path, SqliteStore::Mode::read_write, error);
    REQUIRE_MESSAGE(store, error);
    offline::StoredState state = store->load("link1");
    REQUIRE(state.registrations.size() == 1);
    CHECK(state.registrations[0].member == "bob@x");
    CHECK(state.registrations[0].registration == offline::Registration{"bob", true});
    CHECK(state.registrations[0].updated_ms == 1234);
    REQUIRE(state.sessions.size() == 1);
    CHECK(state.sessions[0].full_jid == "bob@x/phone");
    CHECK(state.sessions[0].nick == "bob");
    REQUIRE(state.members.size() == 1);
    CHECK(state.members[0].paused);
    CHECK(state.members[0].bounce_streak == 5);
    CHECK(store->load("link2").registrations.size() == 1);
    CHECK(store->links() == std::vector<std::string>{"link1", "link2"});
}

TEST_CASE("store: a second proxy on the same file is refused with the first one's pid") {
    TempDir dir;
    const std::string path = (dir.path / "state.db").string();
    std::string error;
    auto first = SqliteStore::open(path, SqliteStore::Mode::read_write, error);
    REQUIRE(first);
    auto second = SqliteStore::open(path, SqliteStore::Mode::read_write, error);
    CHECK_FALSE(second);
    CHECK(error == "store " + path + " is in use by another muc-offline-proxy (pid " +
                       std::to_string(getpid()) + "); one proxy per store file");
    // Readers are welcome while it runs (state list).
    REQUIRE(first->apply({{"l", registration("r@c", "m@x", "m", true)}}, error));
    auto reader = SqliteStore::open(path, SqliteStore::Mode::read_only, error);
    REQUIRE_MESSAGE(reader, error);
    CHECK(reader->load("l").registrations.size() == 1);
    first.reset();
    CHECK(SqliteStore::open(path, SqliteStore::Mode::read_write, error));
}

TEST_CASE("store: a damaged file, another program's database or a newer schema stop the start") {
    TempDir dir;
    std::string error;

    const std::string garbage = (dir.path / "garbage.db").string();
    std::ofstream(garbage) << std::string(4096, 'x');
    CHECK_FALSE(SqliteStore::open(garbage, SqliteStore::Mode::read_write, error));
    CHECK(error.find("is damaged or not a muc-offline-proxy store") != std::string::npos);
    CHECK(error.find("does not start empty over an existing store") != std::string::npos);
    CHECK(fs::file_size(garbage) == 4096);  // left as it was

    const std::string foreign = (dir.path / "foreign.db").string();
    sqlite3* db = nullptr;
    sqlite3_open(foreign.c_str(), &db);
    sqlite3_exec(db, "CREATE TABLE photos (id INTEGER)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    CHECK_FALSE(SqliteStore::open(foreign, SqliteStore::Mode::read_write, error));
    CHECK(error.find("is an SQLite file of something else") != std::string::npos);

    const std::string newer = (dir.path / "newer.db").string();
    { REQUIRE(SqliteStore::open(newer, SqliteStore::Mode::read_write, error)); }
    sqlite3_open(newer.c_str(), &db);
    sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    CHECK_FALSE(SqliteStore::open(newer, SqliteStore::Mode::read_write, error));
    CHECK(error == "store " + newer + " has schema version 99, this muc-offline-proxy knows " +
                       std::to_string(store::schema_version()) +
                       " at most: run a newer muc-offline-proxy");

    CHECK_FALSE(SqliteStore::open((dir.path / "no/such/dir/state.db").string(),
                                  SqliteStore::Mode::read_write, error));
    CHECK(error.find("cannot open") != std::string::npos);
}

TEST_CASE("store: an empty file from an earlier version is migrated to the current schema") {
    TempDir dir;
    const std::string path = (dir.path / "old.db").string();
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db, "PRAGMA user_version = 0", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    std::string error;
    auto store = SqliteStore::open(path, SqliteStore::Mode::read_write, error);
    REQUIRE_MESSAGE(store, error);
    sqlite3_open(path.c_str(), &db);
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, nullptr);
    REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
    CHECK(sqlite3_column_int(statement, 0) == store::schema_version());
    sqlite3_finalize(statement);
    sqlite3_close(db);
}
