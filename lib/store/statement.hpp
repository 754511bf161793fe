// A prepared SQLite statement, finalized with its owner: binds, steps and reads columns.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

namespace store {

class Statement {
  public:
    Statement(sqlite3* db, const char* sql) {
        sqlite3_prepare_v2(db, sql, -1, &statement_, nullptr);
    }
    ~Statement() { sqlite3_finalize(statement_); }
    Statement& bind(int index, const std::string& text) {
        sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()),
                          SQLITE_TRANSIENT);
        return *this;
    }
    Statement& bind(int index, std::int64_t value) {
        sqlite3_bind_int64(statement_, index, value);
        return *this;
    }
    bool step_row() { return sqlite3_step(statement_) == SQLITE_ROW; }
    bool run() {
        int rc = sqlite3_step(statement_);
        sqlite3_reset(statement_);
        return rc == SQLITE_DONE;
    }
    std::string text(int column) const {
        const unsigned char* value = sqlite3_column_text(statement_, column);
        return value == nullptr ? std::string() : reinterpret_cast<const char*>(value);
    }
    std::int64_t integer(int column) const { return sqlite3_column_int64(statement_, column); }

  private:
    sqlite3_stmt* statement_ = nullptr;
};

}  // namespace store
