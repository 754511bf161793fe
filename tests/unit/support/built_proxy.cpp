#include "built_proxy.hpp"

#include <filesystem>

namespace test_support {

const std::string& built_proxy() {
    static const std::string path =
        (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "muc-offline-proxy")
            .string();
    return path;
}

}  // namespace test_support
