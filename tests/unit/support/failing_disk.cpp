#include "failing_disk.hpp"

namespace failing_disk {
namespace {

// Our file: the real VFS's file lives right after it, in the space SQLite allocates for us.
struct File {
    sqlite3_file base;
    FailingDisk* disk;
    sqlite3_file* real;
};

sqlite3_file* real(sqlite3_file* file) {
    return reinterpret_cast<File*>(file)->real;
}

int close_file(sqlite3_file* file) {
    sqlite3_file* inner = real(file);
    return inner->pMethods != nullptr ? inner->pMethods->xClose(inner) : SQLITE_OK;
}
int read_file(sqlite3_file* file, void* buffer, int amount, sqlite3_int64 offset) {
    return real(file)->pMethods->xRead(real(file), buffer, amount, offset);
}
int write_file(sqlite3_file* file, const void* buffer, int amount, sqlite3_int64 offset) {
    if (reinterpret_cast<File*>(file)->disk->full()) return SQLITE_FULL;
    return real(file)->pMethods->xWrite(real(file), buffer, amount, offset);
}
int truncate_file(sqlite3_file* file, sqlite3_int64 size) {
    return real(file)->pMethods->xTruncate(real(file), size);
}
int sync_file(sqlite3_file* file, int flags) {
    return real(file)->pMethods->xSync(real(file), flags);
}
int file_size(sqlite3_file* file, sqlite3_int64* size) {
    return real(file)->pMethods->xFileSize(real(file), size);
}
int lock(sqlite3_file* file, int level) {
    return real(file)->pMethods->xLock(real(file), level);
}
int unlock(sqlite3_file* file, int level) {
    return real(file)->pMethods->xUnlock(real(file), level);
}
int check_reserved_lock(sqlite3_file* file, int* out) {
    return real(file)->pMethods->xCheckReservedLock(real(file), out);
}
int file_control(sqlite3_file* file, int op, void* arg) {
    return real(file)->pMethods->xFileControl(real(file), op, arg);
}
int sector_size(sqlite3_file* file) {
    return real(file)->pMethods->xSectorSize(real(file));
}
int device_characteristics(sqlite3_file* file) {
    return real(file)->pMethods->xDeviceCharacteristics(real(file));
}
int shm_map(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
    return real(file)->pMethods->xShmMap(real(file), region, size, extend, out);
}
int shm_lock(sqlite3_file* file, int offset, int n, int flags) {
    return real(file)->pMethods->xShmLock(real(file), offset, n, flags);
}
void shm_barrier(sqlite3_file* file) {
    real(file)->pMethods->xShmBarrier(real(file));
}
int shm_unmap(sqlite3_file* file, int delete_flag) {
    return real(file)->pMethods->xShmUnmap(real(file), delete_flag);
}
int fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
    return real(file)->pMethods->xFetch(real(file), offset, amount, out);
}
int unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
    return real(file)->pMethods->xUnfetch(real(file), offset, page);
}

const sqlite3_io_methods kMethods = {
    3,
    close_file,
    read_file,
    write_file,
    truncate_file,
    sync_file,
    file_size,
    lock,
    unlock,
    check_reserved_lock,
    file_control,
    sector_size,
    device_characteristics,
    shm_map,
    shm_lock,
    shm_barrier,
    shm_unmap,
    fetch,
    unfetch,
};

int open_file(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
    auto* disk = static_cast<FailingDisk*>(vfs->pAppData);
    auto* ours = reinterpret_cast<File*>(file);
    sqlite3_vfs* inner_vfs = disk->real_vfs();
    ours->base.pMethods = nullptr;
    ours->disk = disk;
    ours->real = reinterpret_cast<sqlite3_file*>(ours + 1);
    ours->real->pMethods = nullptr;
    int rc = inner_vfs->xOpen(inner_vfs, name, ours->real, flags, out_flags);
    if (ours->real->pMethods != nullptr) ours->base.pMethods = &kMethods;
    return rc;
}

}  // namespace

FailingDisk::FailingDisk() : real_(sqlite3_vfs_find(nullptr)) {
    // The real VFS's methods are kept (they read only their own fields of `vfs`); only opening
    // goes through us, and pAppData points here instead.
    vfs_ = *real_;
    vfs_.szOsFile = static_cast<int>(sizeof(File)) + real_->szOsFile;
    vfs_.pNext = nullptr;
    vfs_.zName = "failing-disk";
    vfs_.pAppData = this;
    vfs_.xOpen = open_file;
    sqlite3_vfs_register(&vfs_, 1);
}

FailingDisk::~FailingDisk() {
    sqlite3_vfs_unregister(&vfs_);
    sqlite3_vfs_register(real_, 1);
}

}  // namespace failing_disk
