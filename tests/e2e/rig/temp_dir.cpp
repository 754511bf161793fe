#include "temp_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace rig {

TempDir::TempDir(bool keep) : keep_(keep) {
    std::string pattern = "/tmp/muc-e2e-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error(std::string("mkdtemp failed: ") + std::strerror(errno));
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    if (keep_) {
        std::cerr << "e2e: kept " << path_.string() << " (E2E_KEEP=1)\n";
        return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

}  // namespace rig
