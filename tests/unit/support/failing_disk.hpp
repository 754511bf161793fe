// A disk that can be made full on demand: an SQLite VFS wrapped around the default one, made
// the default while the object lives. Every file SQLite opens meanwhile writes through it; while
// `full` is set, every write fails with SQLITE_FULL, as on a filesystem without space, so the
// store's real error path runs ("database or disk is full").
#pragma once

#include <sqlite3.h>

#include <atomic>

namespace failing_disk {

class FailingDisk {
  public:
    FailingDisk();
    ~FailingDisk();  // the default VFS is restored; close every store opened through it first
    FailingDisk(const FailingDisk&) = delete;
    FailingDisk& operator=(const FailingDisk&) = delete;

    void set_full(bool full) { full_ = full; }
    bool full() const { return full_; }
    sqlite3_vfs* real_vfs() const { return real_; }

  private:
    sqlite3_vfs* real_;
    sqlite3_vfs vfs_{};
    std::atomic<bool> full_{false};  // read on the store's thread
};

}  // namespace failing_disk
