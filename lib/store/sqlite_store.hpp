// The feature's durable state in one SQLite file (WAL), one proxy per file. Registrations
// are written in transactions the caller makes durable before it acts on them; sessions and
// member states ride along in the same batches.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "offline/state_store.hpp"

struct sqlite3;

namespace store {

// The schema this binary writes (PRAGMA user_version); older files are migrated forward.
int schema_version();
// PRAGMA application_id of every store file: how a file is recognised as ours (sqlite.org,
// "Database File Format" §1.3.12), with the tables its schema version must have.
constexpr std::int32_t kApplicationId = 0x4d4f4650;  // "MOFP

class SqliteStore {
  public:
    enum class Mode { read_write, read_only };

    // Opens the store at `path` (created when absent in read_write mode; ":memory:" for tests,
    // which keeps nothing). read_write takes `path`.lock so a second proxy on the same file
    // fails with the first one's pid. Refuses a file that is not a store, is corrupt, or has a
    // newer schema than this binary. nullptr with `error` saying what is wrong and what to do.
    static std::unique_ptr<SqliteStore> open(const std::string& path, Mode mode,
                                             std::string& error);
    ~SqliteStore();
    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;

    offline::StoredState load(const std::string& link);
    std::vector<std::string> links();

    // Applies the changes, each tagged with its link, in one transaction; durable on return.
    // Fails (false, `error` saying why) when the disk refuses the write, and for good once the
    // file at `path` is no longer the one opened (deleted or replaced while running): writing
    // on into an unlinked file would be acknowledging what the next start cannot see.
    bool apply(const std::vector<std::pair<std::string, offline::StateChange>>& changes,
               std::string& error);

    const std::string& path() const { return path_; }

  private:
    SqliteStore(std::string path, sqlite3* db, int lock_fd);
    bool still_the_opened_file(std::string& error);

    // The statements a batch runs, prepared at the first batch and kept: a join storm commits
    // every few milliseconds, and preparing five statements cost ~30k instructions a batch.
    struct Writes;

    std::string path_;
    sqlite3* db_;
    int lock_fd_;
    std::unique_ptr<Writes> writes_;
    // The opened file's identity (not for ":memory:"), and why it is lost once it is.
    bool on_disk_ = false;
    int schema_version_ = 0;  // of the file as opened (read-only opens do not migrate)
    dev_t device_ = 0;
    ino_t inode_ = 0;
    std::string lost_;
};

}  // namespace store
