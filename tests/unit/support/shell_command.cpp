#include "shell_command.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>

namespace test_support {

CommandResult run_shell(const std::string& command_line) {
    const std::string merged = command_line + " 2>&1";
    FILE* pipe = popen(merged.c_str(), "r");
    if (pipe == nullptr) return {-1, "popen failed for: " + command_line};
    std::string output;
    std::array<char, 4096> buffer;
    std::size_t n;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
        output.append(buffer.data(), n);
    const int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace test_support
