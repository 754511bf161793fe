#pragma once
// One child process that the rig started: its own process group, stdout and stderr appended
// to a log file, stopped with SIGTERM and then SIGKILL. The rig signals nothing it did not
// start: only this child's group, and only while the child is unreaped (a zombie still holds
// its pid, so the group id cannot have been reused).
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "deadline.hpp"

namespace rig {

class Process {
  public:
    // Starts argv[0] (searched in PATH). Throws when it cannot be executed, naming `name`.
    Process(std::string name, std::vector<std::string> argv, std::filesystem::path log_path);
    ~Process();  // stop()
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    const std::string& name() const { return name_; }
    const std::filesystem::path& log_path() const { return log_path_; }
    pid_t pid() const { return pid_; }

    // True until the child exits. Does not reap it (see the header comment).
    bool running();

    // Waits for the child to exit on its own; its exit code, or nothing if it is still
    // running at the deadline (or died by a signal).
    std::optional<int> wait_exit(Deadline deadline);

    // "running", "exited with code 1", "killed by signal 9".
    std::string state();

    // SIGTERM to the group, once: a second one can hit a program in the middle of its
    // shutdown handler.
    void terminate();

    // terminate(), SIGKILL to the group after `grace`, then reap. Idempotent.
    void stop(Millis grace = Millis(5000));

    // SIGKILL to the group at once, with no SIGTERM before it (a crash, as `kill -9`), then
    // reap. Idempotent.
    void kill_now();

    std::string log_tail(std::size_t lines) const;

  private:
    bool exited_unreaped();  // true once the child has exited; records how
    void kill_and_reap();

    std::string name_;
    std::filesystem::path log_path_;
    pid_t pid_ = -1;
    bool exited_ = false;  // exit_code_ or exit_signal_ says how
    bool reaped_ = false;
    bool terminated_ = false;
    int exit_code_ = 0;    // when it exited normally
    int exit_signal_ = 0;  // when a signal ended it
};

}  // namespace rig
