// Runs a shell command line as an operator would and keeps what it printed.
#pragma once

#include <string>

namespace test_support {

struct CommandResult {
    int status;          // the exit status; -1 when the command did not exit normally
    std::string output;  // stdout and stderr together
};

CommandResult run_shell(const std::string& command_line);

}  // namespace test_support
