#include "store/sqlite_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

#include "store/batch_rows.hpp"
#include "store/statement.hpp"

namespace store {
namespace {

// Each entry moves the schema one version forward; never edit one that has shipped.
const char* const kMigrations[] = {
    // 1: registrations, occupant sessions, member delivery state, per link.
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
    "  PRIMARY KEY (link, member)) WITHOUT ROWID;",
    // 2: members switched to notices by delivery "auto".
    "ALTER TABLE members ADD COLUMN notices INTEGER NOT NULL DEFAULT 0;",
};

constexpr int kSchemaVersion = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);

// The tables each migration adds: a file of ours at version N has those of 1..N, no fewer.
const char* const kTablesAdded[][4] = {
    {"registrations", "sessions", "members", nullptr},
    {nullptr},
};
static_assert(sizeof kTablesAdded / sizeof kTablesAdded[0] == kSchemaVersion,
              "name the tables each migration adds");

std::set<std::string> tables_of_version(int version) {
    std::set<std::string> tables;
    for (int index = 0; index < version && index < kSchemaVersion; ++index) {
        for (const char* const* table = kTablesAdded[index]; *table != nullptr; ++table)
            tables.insert(*table);
    }
    return tables;
}

std::string what_to_do_with_a_bad_file(const std::string& path) {
    return "move it aside and restore a backup, or start on a new store.path and "
           "`muc-offline-proxy state import` "
           "an export; the proxy does not start empty over an existing store (" +
           path + ")";
}

bool exec(sqlite3* db, const char* sql, std::string& error) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &message) == SQLITE_OK) return true;
    error = message != nullptr ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    return false;
}

int pragma_integer(sqlite3* db, const char* pragma) {
    sqlite3_stmt* statement = nullptr;
    int value = -1;
    if (sqlite3_prepare_v2(db, pragma, -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
        value = sqlite3_column_int(statement, 0);
    }
    sqlite3_finalize(statement);
    return value;
}

int user_version(sqlite3* db) {
    return pragma_integer(db, "PRAGMA user_version");
}

// What a file says it is: its application id, its schema version and its tables.
struct FileIdentity {
    int application_id = 0;
    int version = 0;
    std::set<std::string> tables;
};

FileIdentity identify(sqlite3* db) {
    FileIdentity identity;
    identity.application_id = pragma_integer(db, "PRAGMA application_id");
    identity.version = user_version(db);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db,
                           "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
                           "LIKE 'sqlite\\_%' ESCAPE '\\'",
                           -1, &statement, nullptr) == SQLITE_OK) {
        while (sqlite3_step(statement) == SQLITE_ROW) {
            const unsigned char* name = sqlite3_column_text(statement, 0);
            if (name != nullptr) identity.tables.insert(reinterpret_cast<const char*>(name));
        }
    }
    sqlite3_finalize(statement);
    return identity;
}

// A few of another program's table names, printable, for the message that refuses its file.
std::string some_tables(const std::set<std::string>& tables) {
    std::string out;
    std::size_t shown = 0;
    for (const std::string& table : tables) {
        if (shown == 4) {
            out += ", ... (" + std::to_string(tables.size()) + " tables)";
            break;
        }
        std::string name = table.substr(0, 40);
        for (char& c : name) {
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
        }
        out += (shown++ == 0 ? "" : ", ") + name;
    }
    return out.empty() ? "none" : out;
}

std::string hex(int value) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", static_cast<unsigned>(value));
    return text;
}

enum class Recognition { new_file, ours, ours_before_application_id, refused };

// Only a file that says it is ours (the application id) and has the tables its version
// needs is used; one from before the application id (id 0, version 1, exactly our tables) is
// recognised by its tables and upgraded. Anything else is another program's data, or damaged.
Recognition recognise(const FileIdentity& file, const std::string& path, std::string& error) {
    if (file.application_id == 0 && file.version == 0 && file.tables.empty())
        return Recognition::new_file;
    const bool ours = file.application_id == kApplicationId;
    const bool ours_before_id =
        file.application_id == 0 && file.version == 1 && file.tables == tables_of_version(1);
    if (!ours && !ours_before_id) {
        error = "store " + path +
                " is not a muc-offline-proxy store: an SQLite database of another program "
                "(application_id " +
                hex(file.application_id) + ", user_version " + std::to_string(file.version) +
                ", tables: " + some_tables(file.tables) +
                "); check store.path: point it at the proxy's own file, or at a new path to "
                "start afresh. The proxy does not write into another program's database";
        return Recognition::refused;
    }
    if (file.version > kSchemaVersion) {
        error = "store " + path + " has schema version " + std::to_string(file.version) +
                ", this muc-offline-proxy knows " + std::to_string(kSchemaVersion) +
                " at most: run a newer muc-offline-proxy";
        return Recognition::refused;
    }
    std::string missing;
    for (const std::string& table : tables_of_version(file.version)) {
        if (!file.tables.contains(table)) missing += (missing.empty() ? "" : ", ") + table;
    }
    if (!missing.empty()) {
        error = "store " + path + " is a muc-offline-proxy store of schema version " +
                std::to_string(file.version) + " without its table(s) " + missing +
                ": it is damaged: " + what_to_do_with_a_bad_file(path);
        return Recognition::refused;
    }
    return ours ? Recognition::ours : Recognition::ours_before_application_id;
}

// The other proxy's pid, as it wrote it into the lock file.
std::string lock_holder(int fd) {
    char buffer[32] = {};
    ssize_t n = pread(fd, buffer, sizeof buffer - 1, 0);
    std::string pid = n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return pid.empty() ? "unknown" : pid;
}

int take_lock(const std::string& path, std::string& error) {
    const std::string lock_path = path + ".lock";
    int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        error = lock_path + ": cannot open the lock file: " + std::strerror(errno);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        error = "store " + path + " is in use by another muc-offline-proxy (pid " +
                lock_holder(fd) + "); one proxy per store file";
        ::close(fd);
        return -1;
    }
    std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
        error = lock_path + ": cannot write the lock file: " + std::strerror(errno);
        ::close(fd);
        return -1;
    }
    return fd;
}

bool migrate(sqlite3* db, const std::string& path, std::string& error) {
    const int version = user_version(db);
    const std::string claim = "PRAGMA application_id = " + std::to_string(kApplicationId) + ";";
    if (version == kSchemaVersion &&
        pragma_integer(db, "PRAGMA application_id") != kApplicationId &&
        !exec(db, claim.c_str(), error)) {
        error = "store " + path + ": setting its application_id failed: " + error;
        return false;
    }
    for (int next = version; next < kSchemaVersion; ++next) {
        std::string sql = std::string("BEGIN IMMEDIATE;") + kMigrations[next] + claim +
                          "PRAGMA user_version = " + std::to_string(next + 1) + ";COMMIT;";
        if (!exec(db, sql.c_str(), error)) {
            exec(db, "ROLLBACK", error);
            error = "store " + path + ": migrating to schema version " + std::to_string(next + 1) +
                    " failed: " + error;
            return false;
        }
    }
    return true;
}

}  // namespace

int schema_version() {
    return kSchemaVersion;
}

SqliteStore::SqliteStore(std::string path, sqlite3* db, int lock_fd)
    : path_(std::move(path)), db_(db), lock_fd_(lock_fd) {}

struct SqliteStore::Writes {
    explicit Writes(sqlite3* db)
        : put_registration(db,
                           "INSERT OR REPLACE INTO registrations (link, room, member, nick, "
                           "offline, updated_ms) VALUES (?, ?, ?, ?, ?, ?)"),
          remove_registration(
              db, "DELETE FROM registrations WHERE link = ? AND room = ? AND member = ?"),
          put_session(db,
                      "INSERT OR REPLACE INTO sessions (link, room, full_jid, nick) VALUES (?, ?, "
                      "?, ?)"),
          remove_session(db, "DELETE FROM sessions WHERE link = ? AND room = ? AND full_jid = ?"),
          put_member(db,
                     "INSERT OR REPLACE INTO members (link, member, paused, bounce_streak, "
                     "notices) VALUES (?, ?, ?, ?, ?)") {}
    Statement put_registration;
    Statement remove_registration;
    Statement put_session;
    Statement remove_session;
    Statement put_member;
};

SqliteStore::~SqliteStore() {
    writes_.reset();  // finalized before the connection closes
    sqlite3_close(db_);
    if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::unique_ptr<SqliteStore> SqliteStore::open(const std::string& path, Mode mode,
                                               std::string& error) {
    const bool in_memory = path == ":memory:";
    const bool existed = !in_memory && std::filesystem::exists(path);
    if (mode == Mode::read_only && !existed && !in_memory) {
        error = "store " + path + " does not exist";
        return nullptr;
    }
    int lock_fd = -1;
    if (mode == Mode::read_write && !in_memory) {
        lock_fd = take_lock(path, error);
        if (lock_fd < 0) return nullptr;
    }
    sqlite3* db = nullptr;
    int flags = mode == Mode::read_only ? SQLITE_OPEN_READONLY
                                        : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    errno = 0;
    int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    auto fail = [&](std::string message) -> std::unique_ptr<SqliteStore> {
        error = std::move(message);
        sqlite3_close(db);
        if (lock_fd >= 0) ::close(lock_fd);
        return nullptr;
    };
    if (rc != SQLITE_OK) {
        return fail("store " + path +
                    ": cannot open: " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)) +
                    (errno != 0 ? std::string(" (") + std::strerror(errno) + ")" : ""));
    }
    sqlite3_busy_timeout(db, 2000);
    // A file that is not a database, or a damaged one, is refused before anything is written.
    sqlite3_stmt* check = nullptr;
    std::string verdict;
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &check, nullptr) == SQLITE_OK &&
        sqlite3_step(check) == SQLITE_ROW) {
        verdict = reinterpret_cast<const char*>(sqlite3_column_text(check, 0));
    } else {
        verdict = sqlite3_errmsg(db);
    }
    sqlite3_finalize(check);
    if (verdict != "ok") {
        return fail("store " + path + " is damaged or not a muc-offline-proxy store (" + verdict +
                    "): " + what_to_do_with_a_bad_file(path));
    }
    // Recognised before anything is written: another program's file stays as it was.
    std::string why;
    if (recognise(identify(db), path, why) == Recognition::refused) return fail(why);
    if (mode == Mode::read_write) {
        // WAL: readers (`state list` while the proxy runs) never block the writer.
        // synchronous=FULL: a commit is on disk when apply() returns, even across a power cut.
        if (!exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", why)) {
            return fail("store " + path + ": cannot enable WAL: " + why);
        }
        if (!migrate(db, path, why)) return fail(why);
    }
    auto store = std::unique_ptr<SqliteStore>(new SqliteStore(path, db, lock_fd));
    store->schema_version_ = user_version(db);
    struct stat opened {};
    if (!in_memory && ::stat(path.c_str(), &opened) == 0) {
        store->on_disk_ = true;
        store->device_ = opened.st_dev;
        store->inode_ = opened.st_ino;
    }
    return store;
}

bool SqliteStore::still_the_opened_file(std::string& error) {
    if (!on_disk_) return true;
    if (lost_.empty()) {
        struct stat now {};
        if (::stat(path_.c_str(), &now) != 0) {
            if (errno != ENOENT) {
                error = "cannot check the state file: " + std::string(std::strerror(errno));
                return false;
            }
            lost_ = "the state file was deleted while running";
        } else if (now.st_dev != device_ || now.st_ino != inode_) {
            lost_ = "the state file was replaced while running";
        }
        if (!lost_.empty()) {
            lost_ +=
                "; nothing more is written to the file the proxy opened (the running proxy keeps "
                "its state in memory): put the file back and restart, or restart without it to "
                "begin a new store without what the proxy holds now";
        }
    }
    if (lost_.empty()) return true;
    error = lost_;
    return false;
}

offline::StoredState SqliteStore::load(const std::string& link) {
    offline::StoredState state;
    Statement registrations(
        db_,
        "SELECT room, member, nick, offline, updated_ms FROM registrations WHERE link = ? "
        "ORDER BY room, member");
    registrations.bind(1, link);
    while (registrations.step_row()) {
        state.registrations.push_back(
            {registrations.text(0), registrations.text(1),
             offline::Registration{registrations.text(2), registrations.integer(3) != 0},
             registrations.integer(4)});
    }
    Statement sessions(
        db_, "SELECT room, full_jid, nick FROM sessions WHERE link = ? ORDER BY room, full_jid");
    sessions.bind(1, link);
    while (sessions.step_row())
        state.sessions.push_back({sessions.text(0), sessions.text(1), sessions.text(2)});
    // A file of schema version 1 (read by `state list` without migrating) has no notices.
    Statement members(db_, schema_version_ >= 2 ? "SELECT member, paused, bounce_streak, notices "
                                                  "FROM members WHERE link = ? ORDER BY member"
                                                : "SELECT member, paused, bounce_streak, 0 FROM "
                                                  "members WHERE link = ? ORDER BY member");
    members.bind(1, link);
    while (members.step_row()) {
        state.members.push_back({members.text(0), members.integer(1) != 0,
                                 static_cast<std::uint32_t>(members.integer(2)),
                                 members.integer(3) != 0});
    }
    return state;
}

std::vector<std::string> SqliteStore::links() {
    std::vector<std::string> found;
    Statement statement(db_,
                        "SELECT link FROM registrations UNION SELECT link FROM sessions UNION "
                        "SELECT link FROM members ORDER BY 1");
    while (statement.step_row()) found.push_back(statement.text(0));
    return found;
}

bool SqliteStore::apply(const std::vector<std::pair<std::string, offline::StateChange>>& changes,
                        std::string& error) {
    if (changes.empty()) return true;
    const std::vector<bool> needless = needless_changes(changes);
    if (!still_the_opened_file(error)) return false;
    if (!exec(db_, "BEGIN IMMEDIATE", error)) return false;
    if (!writes_) writes_ = std::make_unique<Writes>(db_);
    Writes& writes = *writes_;
    bool ok = true;
    using Kind = offline::StateChange::Kind;
    for (std::size_t i = 0; i < changes.size(); ++i) {
        if (needless[i]) continue;
        const auto& [link, change] = changes[i];
        switch (change.kind) {
            case Kind::put_registration:
                ok = writes.put_registration.bind(1, link)
                         .bind(2, change.room)
                         .bind(3, change.member)
                         .bind(4, change.registration.nick)
                         .bind(5, static_cast<std::int64_t>(change.registration.offline))
                         .bind(6, change.at_ms)
                         .run();
                break;
            case Kind::remove_registration:
                ok = writes.remove_registration.bind(1, link)
                         .bind(2, change.room)
                         .bind(3, change.member)
                         .run();
                break;
            case Kind::put_session:
                ok = writes.put_session.bind(1, link)
                         .bind(2, change.room)
                         .bind(3, change.member)
                         .bind(4, change.registration.nick)
                         .run();
                break;
            case Kind::remove_session:
                ok = writes.remove_session.bind(1, link)
                         .bind(2, change.room)
                         .bind(3, change.member)
                         .run();
                break;
            case Kind::put_member:
                ok = writes.put_member.bind(1, link)
                         .bind(2, change.member)
                         .bind(3, static_cast<std::int64_t>(change.paused))
                         .bind(4, static_cast<std::int64_t>(change.bounce_streak))
                         .bind(5, static_cast<std::int64_t>(change.notices))
                         .run();
                break;
        }
        if (!ok) break;
    }
    if (!ok) {
        error = sqlite3_errmsg(db_);
        std::string ignored;
        exec(db_, "ROLLBACK", ignored);
        return false;
    }
    if (exec(db_, "COMMIT", error)) return true;
    // A commit the disk refused may leave the transaction open (sqlite.org/lang_transaction:
    // SQLITE_FULL, SQLITE_IOERR): close it so the retry starts clean.
    if (sqlite3_get_autocommit(db_) == 0) {
        std::string ignored;
        exec(db_, "ROLLBACK", ignored);
    }
    return false;
}

}  // namespace store
