#include "prosody_muc.hpp"

#include <stdexcept>
#include <thread>

#include "text_file.hpp"

namespace rig {
namespace {

// The template sits beside the module; the rig runs from the project root (make does).
const std::filesystem::path kPluginDir = "tests/e2e/prosody";

std::string substitute(std::string text, const std::string& name, const std::string& value) {
    const std::string placeholder = "@" + name + "@";
    for (std::size_t at = text.find(placeholder); at != std::string::npos;
         at = text.find(placeholder, at)) {
        text = text.substr(0, at) + value + text.substr(at + placeholder.size());
        at += value.size();
    }
    return text;
}

}  // namespace

ProsodyMuc::ProsodyMuc(const std::filesystem::path& dir, ProsodyMucSettings settings)
    : dir_(dir / "prosody-muc"),
      settings_(std::move(settings)),
      config_path_(dir_ / "muc.cfg.lua") {
    std::filesystem::create_directories(dir_);
    std::string config = read_text_file(kPluginDir / "muc.cfg.lua.template");
    config = substitute(config, "DATA_DIR", std::filesystem::absolute(dir_).string());
    config = substitute(config, "PLUGIN_DIR", std::filesystem::absolute(kPluginDir).string());
    config = substitute(config, "LINK_PORT", std::to_string(settings_.port));
    config = substitute(config, "SECRET", settings_.secret);
    config = substitute(config, "ALLOW_UNAFFILIATED_REGISTER",
                        settings_.allow_unaffiliated_register ? "true" : "false");
    write_text_file(config_path_, config);
}

void ProsodyMuc::start() {
    stop();
    ++starts_;
    const std::filesystem::path log = dir_ / "prosody-b.log";
    log_offset_ = std::filesystem::exists(log) ? std::filesystem::file_size(log) : 0;
    process_ = std::make_unique<Process>(
        "prosody-muc", std::vector<std::string>{"prosody", "-F", "--config", config_path_.string()},
        dir_ / ("prosody-muc-" + std::to_string(starts_) + ".log"));
}

void ProsodyMuc::stop() {
    if (process_) process_->stop();
}

void ProsodyMuc::wait_handshake(Deadline deadline) {
    // The module logs this once the server (or the proxy) answered <handshake/>.
    const std::string up = "Component link up to 127.0.0.1:" + std::to_string(settings_.port);
    const std::filesystem::path log = dir_ / "prosody-b.log";
    while (!deadline.passed()) {
        if (std::filesystem::exists(log) &&
            read_text_file(log).find(up, log_offset_) != std::string::npos)
            return;
        if (!running()) break;
        std::this_thread::sleep_for(Millis(20));
    }
    throw std::runtime_error("Prosody's MUC did not link up (" + up + "); process " +
                             (process_ ? process_->state() : std::string("not started")) + "\n" +
                             (std::filesystem::exists(log) ? read_text_file(log) : std::string()));
}

}  // namespace rig
