#include "prosody_server.hpp"

#include <sstream>
#include <stdexcept>
#include <thread>

#include "ports.hpp"
#include "text_file.hpp"

namespace rig {
namespace {

constexpr const char* kCapableModule = "groupchat_to_bare";

std::string lua_string(const std::string& text) {
    std::string quoted = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
    }
    return quoted + "\"";
}

}  // namespace

ProsodyServer::ProsodyServer(const std::filesystem::path& dir, ProsodySettings settings,
                             Deadline deadline)
    : settings_(std::move(settings)),
      config_path_(dir / "prosody.cfg.lua"),
      dir_(dir),
      c2s_port_(pick_free_port()),
      component_port_(pick_free_port()) {
    if (settings_.capable_server) {
        settings_.module_dir = std::filesystem::absolute(settings_.module_dir);
        if (!std::filesystem::exists(settings_.module_dir /
                                     ("mod_" + std::string(kCapableModule) + ".lua"))) {
            throw std::runtime_error("capable server: no mod_" + std::string(kCapableModule) +
                                     ".lua in " + settings_.module_dir.string() +
                                     " (run from the project root or set E2E_PROSODY_MODULES)");
        }
    }
    std::filesystem::create_directories(dir / "prosody-data");
    std::filesystem::create_directories(dir / "prosody-certs");
    write_text_file(config_path_, config_text(dir));
    for (const auto& user : settings_.users) register_user(user, deadline);

    process_ = std::make_unique<Process>(
        "prosody", std::vector<std::string>{"prosody", "-F", "--config", config_path_.string()},
        dir / "prosody.log");
    for (std::uint16_t port : {c2s_port_, component_port_}) {
        while (!is_listening(port)) {
            if (!process_->running() || deadline.passed()) {
                std::ostringstream why;
                why << "prosody did not listen on 127.0.0.1:" << port << " (" << process_->state()
                    << ")\n--- tail of " << process_->log_path().string() << "\n"
                    << process_->log_tail(40);
                throw std::runtime_error(why.str());
            }
            std::this_thread::sleep_for(Millis(10));
        }
    }
}

std::string ProsodyServer::config_text(const std::filesystem::path& dir) const {
    // mod_offline, which the capable module stores into, is one Prosody always loads.
    std::string capable_module;
    std::string capable_path;
    if (settings_.capable_server) {
        capable_module = ", " + lua_string(kCapableModule);
        capable_path = "plugin_paths = { " + lua_string(settings_.module_dir.string()) + " }\n";
    }
    std::ostringstream cfg;
    cfg << "-- Written by the e2e rig (tests/e2e/rig/prosody_server.cpp) for one run.\n"
        // CI runs as root. mod_posix shuts Prosody down as root unless this is set, and
        // prosodyctl would switch to the 'prosody' user, who cannot write this temp dir.
        << "run_as_root = true\n"
        << "pidfile = " << lua_string((dir / "prosody.pid").string()) << "\n"
        << "data_path = " << lua_string((dir / "prosody-data").string()) << "\n"
        << "certificates = " << lua_string((dir / "prosody-certs").string())
        << "\n"
        // To stdout, which the rig sends to prosody.log.
        << "log = { { levels = { min = \"debug\" }, to = \"stdout\", timestamps = \"%H:%M:%S\" } "
           "}\n"
        << "modules_enabled = { \"roster\", \"saslauth\", \"disco\", \"ping\", \"posix\""
        << capable_module << " }\n"
        << "modules_disabled = { \"s2s\" }\n"
        << capable_path << "s2s_ports = { }\n"
        << "c2s_ports = { " << c2s_port_ << " }\n"
        << "c2s_interfaces = { \"127.0.0.1\" }\n"
        << "c2s_direct_tls_ports = { }\n"
        << "legacy_ssl_ports = { }\n"
        << "component_ports = { " << component_port_ << " }\n"
        << "component_interfaces = { \"127.0.0.1\" }\n"
        << "c2s_require_encryption = false\n"
        << "allow_unencrypted_plain_auth = true\n"
        << "authentication = \"internal_plain\"\n"
        << "storage = \"internal\"\n"
        << "\n"
        << "VirtualHost " << lua_string(settings_.domain) << "\n"
        << "\n"
        << "Component " << lua_string(settings_.muc_domain) << "\n"
        << "    component_secret = " << lua_string(settings_.component_secret) << "\n";
    return cfg.str();
}

// prosodyctl writes the account through Prosody's own storage, no server needed.
void ProsodyServer::register_user(const std::string& user, Deadline deadline) {
    Process prosodyctl("prosodyctl register " + user,
                       {"prosodyctl", "--config", config_path_.string(), "register", user,
                        settings_.domain, settings_.password},
                       dir_ / "prosodyctl.log");
    auto code = prosodyctl.wait_exit(deadline);
    if (code != 0) {
        throw std::runtime_error("prosodyctl register " + user + " failed (" + prosodyctl.state() +
                                 ")\n" + prosodyctl.log_tail(20));
    }
}

}  // namespace rig
