#include "proxy_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "built_proxy.hpp"

namespace proxy_process {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TempDir::TempDir() {
    char pattern[] = "/tmp/muc-offline-proxy-test-XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

void write_file(const std::string& path, const std::string& text) {
    // Written aside and renamed, as an editor or a deployment tool would: a reload never reads
    // half a file.
    const std::string aside = path + ".new";
    std::ofstream(aside, std::ios::binary | std::ios::trunc) << text;
    fs::rename(aside, path);
}

ProxyProcess::ProxyProcess(const std::string& config_path, std::string log_path)
    : log_path_(std::move(log_path)) {
    const std::string& binary = test_support::built_proxy();
    if (!fs::exists(binary)) throw std::runtime_error(binary + " is not built");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        execl(binary.c_str(), "muc-offline-proxy", "run", "--config", config_path.c_str(),
              static_cast<char*>(nullptr));
        _exit(127);
    }
}

ProxyProcess::~ProxyProcess() {
    if (pid_ > 0) stop();
}

void ProxyProcess::send_signal(int signum) const {
    if (pid_ > 0) kill(pid_, signum);
}

bool ProxyProcess::running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        if (WIFSIGNALED(status)) ended_by_signal_ = WTERMSIG(status);
        return false;
    }
    return true;
}

std::string ProxyProcess::log() const {
    std::ifstream in(log_path_, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

bool ProxyProcess::wait_for_log(std::string_view needle, Duration timeout, std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        const std::string text = log();
        std::size_t found = 0;
        for (std::size_t at = text.find(needle); at != std::string::npos;
             at = text.find(needle, at + needle.size()))
            ++found;
        if (found >= count) return true;
        if (!running() || std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
}

int ProxyProcess::stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid_, SIGKILL);
            waitpid(pid_, &status, 0);
            pid_ = -1;
            return -1;
        }
        std::this_thread::sleep_for(20ms);
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

CommandResult run_command(const std::string& command) {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen((command + " 2>&1").c_str(), "r"), pclose);
    std::string output;
    std::array<char, 4096> buffer;
    std::size_t n;
    while ((n = fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0)
        output.append(buffer.data(), n);
    int status = pclose(pipe.release());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

HttpAnswer curl(const std::string& url, std::string_view method) {
    TempDir dir;
    const std::string body_file = dir.file("body");
    CommandResult result = run_command("curl -sS --max-time 5 -X " + std::string(method) + " -o " +
                                       body_file + " -w '%{http_code}' '" + url + "'");
    HttpAnswer answer;
    answer.status = std::atoi(result.output.c_str());
    std::ifstream in(body_file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    answer.body = text.str();
    return answer;
}

std::optional<double> sample_value(const std::string& page, std::string_view series) {
    std::size_t at = 0;
    while ((at = page.find(series, at)) != std::string::npos) {
        const bool line_start = at == 0 || page[at - 1] == '\n';
        const std::size_t after = at + series.size();
        if (line_start && after < page.size() && page[after] == ' ') {
            return std::strtod(page.c_str() + after + 1, nullptr);
        }
        at = after;
    }
    return std::nullopt;
}

}  // namespace proxy_process
