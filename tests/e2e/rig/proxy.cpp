#include "proxy.hpp"

#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "environment.hpp"
#include "ports.hpp"
#include "text_file.hpp"

namespace rig {

std::string default_proxy_binary() {
    return env_or("MUC_OFFLINE_PROXY", "build/muc-offline-proxy");
}

RelayKind relay_kind_from_env() {
    return env_is("E2E_RELAY", "socat") ? RelayKind::socat : RelayKind::proxy;
}

Proxy::Proxy(const std::filesystem::path& dir, ProxySettings settings, Deadline deadline)
    : settings_(std::move(settings)), listen_port_(pick_free_port()), log_path_(dir / "proxy.log") {
    if (settings_.kind == RelayKind::socat) {
        name_ = "socat relay";
        argv_ = {"socat", "-d", "-d",
                 "TCP-LISTEN:" + std::to_string(listen_port_) + ",bind=127.0.0.1,reuseaddr,fork",
                 "TCP:127.0.0.1:" + std::to_string(settings_.upstream_port)};
    } else {
        name_ = "muc-offline-proxy";
        if (!std::filesystem::exists(settings_.binary)) {
            throw std::runtime_error("proxy binary " + settings_.binary +
                                     " does not exist (build it, set MUC_OFFLINE_PROXY, or run "
                                     "with E2E_RELAY=socat)");
        }
        auto config_path = dir / "proxy.json";
        write_text_file(config_path, config_json(dir));
        argv_ = {std::filesystem::absolute(settings_.binary).string(), "run", "--config",
                 config_path.string()};
    }
    start(deadline);
}

void Proxy::start(Deadline deadline) {
    if (process_ && process_->running()) throw std::logic_error(name_ + " is already running");
    process_.reset();
    ++starts_;
    process_ = std::make_unique<Process>(name_, argv_, log_path_);
    // libuv binds with SO_REUSEADDR, so the port of a process that just died can be taken
    // again at once: whatever listens there now is the new process.
    while (!is_listening(listen_port_)) {
        if (!process_->running() || deadline.passed()) {
            std::ostringstream why;
            why << name_ << " did not listen on 127.0.0.1:" << listen_port_ << " ("
                << process_->state() << ")\n--- tail of " << process_->log_path().string() << "\n"
                << process_->log_tail(40);
            throw std::runtime_error(why.str());
        }
        std::this_thread::sleep_for(Millis(10));
    }
}

void Proxy::stop(StopHow how) {
    if (how == StopHow::sigkill) {
        process_->kill_now();
    } else {
        process_->stop();
    }
}

std::string Proxy::config_json(const std::filesystem::path& dir) const {
    std::ostringstream json;
    json << R"({"links":[{"name":")" << settings_.link_name << R"(","domain":")" << settings_.domain
         << R"(","listen":{"host":"127.0.0.1","port":)" << listen_port_
         << R"(},"upstream":{"host":"127.0.0.1","port":)" << settings_.upstream_port
         << R"(}}],"log":{"level":"debug"})";
    // Each stack keeps its state in its own temp dir unless the test chose a store.
    if (settings_.extra_config.find("\"store\"") == std::string::npos) {
        json << R"(,"store":{"path":")" << (dir / "state.db").string() << "\"}";
    }
    json << (settings_.extra_config.empty() ? "" : "," + settings_.extra_config) << "}"
         << "\n";
    return json.str();
}

std::string Proxy::description() const {
    if (settings_.kind == RelayKind::socat) return "socat relay (E2E_RELAY=socat)";
    return "muc-offline-proxy (" + settings_.binary + ")";
}

}  // namespace rig
