#pragma once
// A fresh directory under /tmp for one stack: configs, data, pid files and every log.
// Removed on destruction unless asked to keep it (E2E_KEEP=1), so a run leaves nothing behind
// except what someone wants to read.
#include <filesystem>

namespace rig {

class TempDir {
  public:
    explicit TempDir(bool keep);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::filesystem::path& name) const {
        return path_ / name;
    }

  private:
    std::filesystem::path path_;
    bool keep_;
};

}  // namespace rig
