#pragma once

#include "muc_process.hpp"
// mu-conference (Debian jabber-muc 0.8) as the MUC: an XEP-0114 component that connects out
// to a port it is given, either the server's component port or the proxy's listen port.
// Without -B it stays in the foreground. If the connection drops it keeps retrying, and it
// gives no sign of the handshake except a debug line, so readiness is read from its log here
// and proven by a disco#info round trip in the stack.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "deadline.hpp"
#include "process.hpp"

namespace rig {

struct MuConferenceSettings {
    std::string domain = "conference.localhost";
    std::string secret = "secret";
    std::uint16_t port = 0;  // where it connects: the proxy or the server's component port
};

class MuConference : public MucProcess {
  public:
    MuConference(const std::filesystem::path& dir, MuConferenceSettings settings);
    ~MuConference() override { stop(); }
    std::string name() const override { return "mu-conference"; }
    MuConference(const MuConference&) = delete;
    MuConference& operator=(const MuConference&) = delete;

    // Starts a new mu-conference process; each start logs to its own file
    // (muconference-1.log, muconference-2.log, ...).
    void start() override;
    // SIGTERM, then SIGKILL once its shutdown sequence is logged as done (see the .cpp).
    void stop() override;
    bool running() override { return process_ != nullptr && process_->running(); }

    // Waits until this process logs that the server accepted its <handshake>. Throws with
    // the log tail otherwise.
    void wait_handshake(Deadline deadline) override;

    Process* process() const override { return process_.get(); }
    const MuConferenceSettings& settings() const { return settings_; }

  private:
    std::string config_text() const;

    std::filesystem::path dir_;
    MuConferenceSettings settings_;
    std::filesystem::path config_path_;
    std::unique_ptr<Process> process_;
    int starts_ = 0;
};

}  // namespace rig
