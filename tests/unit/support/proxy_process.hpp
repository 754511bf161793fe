// The built binary (`build/muc-offline-proxy run`) as an operator starts it: its own process,
// its log in a file, signals to it, HTTP scrapes of its metrics with curl.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace proxy_process {

using Duration = std::chrono::milliseconds;

// A temporary directory removed with everything in it however the test ends.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }
    std::string file(std::string_view name) const { return (path_ / name).string(); }

  private:
    std::filesystem::path path_;
};

void write_file(const std::string& path, const std::string& text);

class ProxyProcess {
  public:
    // Starts `build/muc-offline-proxy run --config CONFIG`, stderr and stdout to LOG.
    ProxyProcess(const std::string& config_path, std::string log_path);
    ~ProxyProcess();  // stops it (SIGTERM, then SIGKILL) if it still runs
    ProxyProcess(const ProxyProcess&) = delete;
    ProxyProcess& operator=(const ProxyProcess&) = delete;

    void send_signal(int signum) const;
    pid_t pid() const { return pid_; }
    bool running();
    // Once running() has seen the process end: the signal that ended it, 0 if none did.
    int ended_by_signal() const { return ended_by_signal_; }
    // Waits until the log holds `needle` `count` times (or the process ends, or the deadline).
    bool wait_for_log(std::string_view needle, Duration timeout, std::size_t count = 1);
    std::string log() const;
    // SIGTERM and wait; the exit status, or -1 when it had to be killed.
    int stop();

  private:
    pid_t pid_ = -1;
    int ended_by_signal_ = 0;
    std::string log_path_;
};

struct HttpAnswer {
    int status = 0;  // 0: curl could not connect
    std::string body;
};
// `curl` as a scraper runs it: one GET (or another method), the status and the body.
HttpAnswer curl(const std::string& url, std::string_view method = "GET");

// The value of the sample `series` (name and labels exactly as printed), if present.
std::optional<double> sample_value(const std::string& page, std::string_view series);

struct CommandResult {
    int status;
    std::string output;  // stdout and stderr
};
CommandResult run_command(const std::string& command);

}  // namespace proxy_process
