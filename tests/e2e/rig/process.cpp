#include "process.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "text_file.hpp"

namespace rig {
namespace {

std::string joined(const std::vector<std::string>& argv) {
    std::string line;
    for (const auto& arg : argv) {
        if (!line.empty()) line += ' ';
        line += arg;
    }
    return line;
}

// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(char* const* argv, int log_fd, int null_fd, int error_fd,
                             pid_t parent) {
    ::setpgid(0, 0);
    // If the test runner dies without running destructors (a crash, SIGKILL), take the child
    // down with it rather than leave a server listening.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::signal(SIGPIPE, SIG_DFL);  // the runner ignores SIGPIPE; exec keeps ignored signals
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execvp(argv[0], argv);
    int err = errno;
    [[maybe_unused]] auto written = ::write(error_fd, &err, sizeof err);
    ::_exit(127);
}

}  // namespace

Process::Process(std::string name, std::vector<std::string> argv, std::filesystem::path log_path)
    : name_(std::move(name)), log_path_(std::move(log_path)) {
    if (argv.empty()) throw std::invalid_argument("Process " + name_ + ": empty argv");
    std::vector<char*> c_argv;
    for (auto& arg : argv) c_argv.push_back(arg.data());
    c_argv.push_back(nullptr);

    int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::runtime_error("cannot open log " + log_path_.string());
    std::string banner = "=== rig started " + name_ + ": " + joined(argv) + "\n";
    [[maybe_unused]] auto written = ::write(log_fd, banner.data(), banner.size());
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    int error_pipe[2];
    if (null_fd < 0 || ::pipe2(error_pipe, O_CLOEXEC) != 0) {
        ::close(log_fd);
        if (null_fd >= 0) ::close(null_fd);
        throw std::runtime_error("cannot prepare to start " + name_);
    }

    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0) exec_child(c_argv.data(), log_fd, null_fd, error_pipe[1], parent);
    int fork_errno = errno;
    ::close(log_fd);
    ::close(null_fd);
    ::close(error_pipe[1]);
    if (pid < 0) {
        ::close(error_pipe[0]);
        throw std::runtime_error("fork failed for " + name_ + ": " + std::strerror(fork_errno));
    }
    pid_ = pid;
    ::setpgid(pid_, pid_);  // also here, so the group exists before we might signal it

    // The pipe closes on a successful exec; otherwise the child sends its errno.
    int exec_errno = 0;
    ssize_t got;
    do {
        got = ::read(error_pipe[0], &exec_errno, sizeof exec_errno);
    } while (got < 0 && errno == EINTR);
    ::close(error_pipe[0]);
    if (got == static_cast<ssize_t>(sizeof exec_errno)) {
        stop();
        throw std::runtime_error("cannot start " + name_ + " (" + argv[0] +
                                 "): " + std::strerror(exec_errno));
    }
}

Process::~Process() {
    stop();
}

bool Process::exited_unreaped() {
    if (exited_) return true;
    if (pid_ <= 0) return false;
    siginfo_t info{};
    // WNOWAIT: look without reaping, so the pid stays ours until stop().
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
        return false;
    }
    if (info.si_pid != pid_) return false;
    exited_ = true;
    if (info.si_code == CLD_EXITED) {
        exit_code_ = info.si_status;
    } else {
        exit_signal_ = info.si_status;
    }
    return true;
}

bool Process::running() {
    return pid_ > 0 && !exited_unreaped();
}

std::optional<int> Process::wait_exit(Deadline deadline) {
    while (running()) {
        if (deadline.passed()) return std::nullopt;
        std::this_thread::sleep_for(Millis(5));
    }
    if (exit_signal_ != 0) return std::nullopt;
    return exit_code_;
}

std::string Process::state() {
    if (running()) return "running";
    if (exit_signal_ != 0) return "killed by signal " + std::to_string(exit_signal_);
    return "exited with code " + std::to_string(exit_code_);
}

void Process::terminate() {
    if (pid_ <= 0 || reaped_ || terminated_) return;
    terminated_ = true;
    ::kill(-pid_, SIGTERM);
}

void Process::stop(Millis grace) {
    if (pid_ <= 0 || reaped_) return;
    if (!exited_unreaped()) {
        terminate();
        Deadline deadline = Deadline::in(grace);
        while (!exited_unreaped() && !deadline.passed()) std::this_thread::sleep_for(Millis(5));
    }
    // Whatever is left of the group (the leader if it ignored SIGTERM, children it forked,
    // e.g. socat's per-connection copies) goes now, while the unreaped leader still holds
    // the group id.
    kill_and_reap();
}

void Process::kill_now() {
    if (pid_ <= 0 || reaped_) return;
    kill_and_reap();
}

void Process::kill_and_reap() {
    ::kill(-pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    if (!exited_) {
        exited_ = true;
        if (WIFEXITED(status)) {
            exit_code_ = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            exit_signal_ = WTERMSIG(status);
        }
    }
    reaped_ = true;
}

std::string Process::log_tail(std::size_t lines) const {
    return tail_lines(log_path_, lines);
}

}  // namespace rig
