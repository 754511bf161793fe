#pragma once
// Prosody's MUC (mod_muc, unmodified) as an external component: a second Prosody whose only
// host is the MUC, linked out to `port` by tests/e2e/prosody/mod_muc_component_link.lua.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "muc_process.hpp"

namespace rig {

struct ProsodyMucSettings {
    std::string domain = "conference.localhost";
    std::string secret = "secret";
    std::uint16_t port = 0;
    bool allow_unaffiliated_register = true;  // Prosody's default is false
};

class ProsodyMuc : public MucProcess {
  public:
    ProsodyMuc(const std::filesystem::path& dir, ProsodyMucSettings settings);
    ~ProsodyMuc() override { stop(); }

    std::string name() const override { return "Prosody's MUC"; }
    void start() override;
    void stop() override;
    bool running() override { return process_ != nullptr && process_->running(); }
    void wait_handshake(Deadline deadline) override;
    Process* process() const override { return process_.get(); }

  private:
    std::filesystem::path dir_;
    ProsodyMucSettings settings_;
    std::filesystem::path config_path_;
    std::unique_ptr<Process> process_;
    int starts_ = 0;
    std::uintmax_t log_offset_ = 0;  // where this start's lines begin in its log
};

}  // namespace rig
