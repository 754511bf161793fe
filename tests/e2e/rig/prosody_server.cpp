#include "prosody_server.hpp"

#include <sstream>
#include <stdexcept>
#include <thread>

#include "ports.hpp"
#include "text_file.hpp"

namespace rig {
namespace {

constexpr const char* kCapableModule = "groupchat_to_bare";
constexpr const char* kPushModule = "cloud_notify";

std::string lua_string(const std::string& text) {
    std::string quoted = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
    }
    return quoted + "\"";
}

// Throws unless `dir` holds mod_NAME.lua, directly or in mod_NAME/ (Prosody looks in both).
void require_module(const std::filesystem::path& dir, const std::string& name,
                    const std::string& why, const std::string& remedy) {
    const std::string file = "mod_" + name + ".lua";
    if (std::filesystem::exists(dir / file) ||
        std::filesystem::exists(dir / ("mod_" + name) / file)) {
        return;
    }
    throw std::runtime_error(why + ": no " + file + " in " + dir.string() + " (" + remedy + ")");
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
        require_module(settings_.module_dir, kCapableModule, "capable server",
                       "run from the project root or set E2E_PROSODY_MODULES");
    }
    if (settings_.cloud_notify) {
        settings_.community_module_dir = std::filesystem::absolute(settings_.community_module_dir);
        require_module(settings_.community_module_dir, kPushModule, "push notifications",
                       "apt-get install prosody-modules, or set E2E_PROSODY_COMMUNITY_MODULES");
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
    std::string extra_modules;
    std::vector<std::string> plugin_paths;
    std::string push_options;
    if (settings_.capable_server) {
        extra_modules += ", " + lua_string(kCapableModule);
        plugin_paths.push_back(settings_.module_dir.string());
    }
    if (settings_.cloud_notify) {
        extra_modules += ", " + lua_string(kPushModule);
        // On Debian that is Prosody's own plugin dir, searched anyway; named for other layouts.
        plugin_paths.push_back(settings_.community_module_dir.string());
        // Both default to false (privacy): without them the summary has message-count only,
        // and a dummy "New Message!" body for messages with a body.
        push_options = "push_notification_with_body = true\npush_notification_with_sender = true\n";
    }
    std::string plugin_path_line;
    if (!plugin_paths.empty()) {
        plugin_path_line = "plugin_paths = { ";
        for (std::size_t i = 0; i < plugin_paths.size(); ++i) {
            plugin_path_line += (i > 0 ? ", " : "") + lua_string(plugin_paths[i]);
        }
        plugin_path_line += " }\n";
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
        << extra_modules << " }\n"
        << "modules_disabled = { \"s2s\" }\n"
        << plugin_path_line << push_options << "s2s_ports = { }\n"
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
