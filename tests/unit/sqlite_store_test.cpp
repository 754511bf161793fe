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
    CHECK(error.find("is not a muc-offline-proxy store: an SQLite database of another program") !=
          std::string::npos);

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

namespace {

int pragma(const std::string& path, const std::string& name) {
    sqlite3* db = nullptr;
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* statement = nullptr;
    int value = -1;
    if (sqlite3_prepare_v2(db, ("PRAGMA " + name).c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
        value = sqlite3_column_int(statement, 0);
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return value;
}

void make_database(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    INFO((message != nullptr ? message : ""));
    sqlite3_free(message);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
}

// The schema as the first release wrote it, before files carried an application id.
const std::string kSchemaBeforeApplicationId =
    "CREATE TABLE registrations ("
    "  link TEXT NOT NULL, room TEXT NOT NULL, member TEXT NOT NULL, nick TEXT NOT NULL,"
    "  offline INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (link, room, member)) WITHOUT ROWID;"
    "CREATE TABLE sessions ("
    "  link TEXT NOT NULL, room TEXT NOT NULL, full_jid TEXT NOT NULL, nick TEXT NOT NULL,"
    "  PRIMARY KEY (link, room, full_jid)) WITHOUT ROWID;"
    "CREATE TABLE members ("
    "  link TEXT NOT NULL, member TEXT NOT NULL, paused INTEGER NOT NULL, bounce_streak INTEGER "
    "NOT NULL,"
    "  PRIMARY KEY (link, member)) WITHOUT ROWID;"
    "PRAGMA user_version = 1;";

}  // namespace

TEST_CASE("store: another program's database with user_version 1 is refused, left as it was") {
    TempDir dir;
    const std::string places = (dir.path / "places.sqlite").string();
    make_database(places,
                  "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url LONGVARCHAR);"
                  "INSERT INTO moz_places (url) VALUES ('https://example.org/');"
                  "PRAGMA user_version = 1;");
    const auto size = fs::file_size(places);
    for (auto mode : {SqliteStore::Mode::read_write, SqliteStore::Mode::read_only}) {
        std::string error;
        CHECK_FALSE(SqliteStore::open(places, mode, error));
        CHECK(error == "store " + places +
                           " is not a muc-offline-proxy store: an SQLite database of another "
                           "program (application_id 0x00000000, user_version 1, tables: "
                           "moz_places); check store.path: point it at the proxy's own file, or "
                           "at a new path to start afresh. The proxy does not write into another "
                           "program's database");
    }
    CHECK(fs::file_size(places) == size);
    CHECK_FALSE(fs::exists(places + "-wal"));
    // Not switched to WAL: the header's write and read versions (bytes 18 and 19) are still 1.
    std::ifstream header(places, std::ios::binary);
    char bytes[20] = {};
    header.read(bytes, sizeof bytes);
    CHECK(bytes[18] == 1);
    CHECK(bytes[19] == 1);
    CHECK(pragma(places, "application_id") == 0);

    // Our tables under another program's application id are not ours either.
    const std::string claimed = (dir.path / "claimed.db").string();
    make_database(claimed, kSchemaBeforeApplicationId + "PRAGMA application_id = 42;");
    std::string error;
    CHECK_FALSE(SqliteStore::open(claimed, SqliteStore::Mode::read_write, error));
    CHECK(error.find("application_id 0x0000002a") != std::string::npos);
}

TEST_CASE("store: a file of ours without a table it needs is refused as damaged") {
    TempDir dir;
    const std::string path = (dir.path / "state.db").string();
    {
        std::string error;
        REQUIRE(SqliteStore::open(path, SqliteStore::Mode::read_write, error));
    }
    CHECK(pragma(path, "application_id") == store::kApplicationId);
    make_database(path, "DROP TABLE sessions;");
    std::string error;
    CHECK_FALSE(SqliteStore::open(path, SqliteStore::Mode::read_write, error));
    CHECK(error.find("is a muc-offline-proxy store of schema version " +
                     std::to_string(store::schema_version()) +
                     " without its table(s) sessions: it is damaged") != std::string::npos);
}

TEST_CASE("store: a file of ours from before the application id is recognised and upgraded") {
    TempDir dir;
    const std::string path = (dir.path / "state.db").string();
    make_database(path, kSchemaBeforeApplicationId +
                            "INSERT INTO registrations VALUES ('conf', 'room@c', 'bob@x', 'bob', "
                            "1, 5);");
    REQUIRE(pragma(path, "application_id") == 0);
    std::string error;
    {
        auto reader = SqliteStore::open(path, SqliteStore::Mode::read_only, error);
        REQUIRE_MESSAGE(reader, error);
        CHECK(reader->load("conf").registrations.size() == 1);
    }
    CHECK(pragma(path, "application_id") == 0);  // reading changes nothing
    {
        auto store = SqliteStore::open(path, SqliteStore::Mode::read_write, error);
        REQUIRE_MESSAGE(store, error);
        REQUIRE(store->load("conf").registrations.size() == 1);
        CHECK(store->load("conf").registrations[0].member == "bob@x");
    }
    CHECK(pragma(path, "application_id") == store::kApplicationId);
    CHECK(pragma(path, "user_version") == store::schema_version());
}

TEST_CASE("store: a version 1 file keeps its paused members, reads without notices and migrates") {
    TempDir dir;
    const std::string path = (dir.path / "state.db").string();
    make_database(
        path, kSchemaBeforeApplicationId + "INSERT INTO members VALUES ('conf', 'bob@x', 1, 3);");
    std::string error;
    {
        auto reader = SqliteStore::open(path, SqliteStore::Mode::read_only, error);
        REQUIRE_MESSAGE(reader, error);
        const auto members = reader->load("conf").members;
        REQUIRE(members.size() == 1);
        CHECK(members[0].paused);
        CHECK_FALSE(members[0].notices);
    }
    CHECK(pragma(path, "user_version") == 1);
    auto store = SqliteStore::open(path, SqliteStore::Mode::read_write, error);
    REQUIRE_MESSAGE(store, error);
    CHECK(pragma(path, "user_version") == store::schema_version());
    StateChange switched{StateChange::Kind::put_member, "", "carol@x", {}};
    switched.notices = true;
    REQUIRE(store->apply({{"conf", switched}}, error));
    const auto members = store->load("conf").members;
    REQUIRE(members.size() == 2);
    CHECK(members[0].member == "bob@x");
    CHECK(members[0].bounce_streak == 3);
    CHECK_FALSE(members[0].notices);
    CHECK(members[1].member == "carol@x");
    CHECK(members[1].notices);
}

TEST_CASE("store: several changes to one row in a batch leave what the last one says") {
    TempDir dir;
    std::string error;
    auto store =
        SqliteStore::open((dir.path / "state.db").string(), SqliteStore::Mode::read_write, error);
    REQUIRE_MESSAGE(store, error);
    auto session = [](std::string full_jid, std::string nick) {
        return StateChange{StateChange::Kind::put_session,
                           "room@c",
                           std::move(full_jid),
                           {std::move(nick), false}};
    };
    auto session_gone = [](std::string full_jid) {
        return StateChange{StateChange::Kind::remove_session, "room@c", std::move(full_jid), {}};
    };
    REQUIRE(store->apply({{"l", session("kept@x/a", "kept")}, {"l", session("left@x/a", "left")}},
                         error));
    StateChange paused{StateChange::Kind::put_member, "", "m@x", {}};
    paused.paused = true;
    StateChange resumed{StateChange::Kind::put_member, "", "m@x", {}};
    REQUIRE(store->apply(
        {
            // A guest who joins and leaves within the batch leaves no row.
            {"l", session("guest@x/a", "guest")},
            {"l", session_gone("guest@x/a")},
            // A row removed and written again is there, as written last.
            {"l", session_gone("kept@x/a")},
            {"l", session("kept@x/a", "renamed")},
            {"l", session("kept@x/a", "renamed again")},
            // The same session on another link is another row.
            {"other", session("left@x/a", "left")},
            {"l", session_gone("left@x/a")},
            {"l", registration("room@c", "m@x", "m", true)},
            {"l", StateChange{StateChange::Kind::remove_registration, "room@c", "m@x", {}}},
            {"l", paused},
            {"l", resumed},
        },
        error));
    const offline::StoredState state = store->load("l");
    REQUIRE(state.sessions.size() == 1);
    CHECK(state.sessions[0].full_jid == "kept@x/a");
    CHECK(state.sessions[0].nick == "renamed again");
    CHECK(state.registrations.empty());
    REQUIRE(state.members.size() == 1);
    CHECK_FALSE(state.members[0].paused);
    REQUIRE(store->load("other").sessions.size() == 1);
}
