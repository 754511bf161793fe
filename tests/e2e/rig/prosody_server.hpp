#pragma once
// Prosody as the XMPP server: VirtualHost "localhost" for the clients (c2s, no TLS) and an
// XEP-0114 component port for "conference.localhost". Config, data, pid file and log live
// in the stack's temp dir; both ports are picked at run time. Stock modules only, unless
// ProsodySettings::capable_server adds the rig's own or cloud_notify a community one.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "deadline.hpp"
#include "process.hpp"

namespace rig {

struct ProsodySettings {
    std::string domain = "localhost";
    std::string muc_domain = "conference.localhost";
    std::string component_secret = "secret";
    std::vector<std::string> users = {"alice", "bob", "carol", "dave", "erin", "probe"};
    std::string password = "pw";
    // A "capable server": loads mod_groupchat_to_bare from `module_dir`, so a groupchat
    // message to a user's bare JID reaches their online resources or offline storage instead
    // of drawing an error (see deploy/prosody/mod_groupchat_to_bare.lua). Off: stock.
    bool capable_server = false;
    std::filesystem::path module_dir = "deploy/prosody";  // relative to the working dir
    // XEP-0357 push: loads the community module mod_cloud_notify from `community_module_dir`
    // (Debian's prosody-modules), with push_notification_with_body and
    // push_notification_with_sender on so that each publish's summary carries the message's
    // sender and body. Nothing else is needed for its hooks on message/bare/groupchat and
    // message/offline/handle: mod_message fires both, and mod_offline is always loaded.
    bool cloud_notify = false;
    std::filesystem::path community_module_dir = "/usr/lib/prosody/modules";
};

class ProsodyServer {
  public:
    // Writes the config, registers the users and starts `prosody -F`; returns once both the
    // c2s and the component port listen. Throws, with the log tail, if that does not happen.
    ProsodyServer(const std::filesystem::path& dir, ProsodySettings settings, Deadline deadline);

    const ProsodySettings& settings() const { return settings_; }
    std::uint16_t c2s_port() const { return c2s_port_; }
    std::uint16_t component_port() const { return component_port_; }
    Process& process() const { return *process_; }

  private:
    std::string config_text(const std::filesystem::path& dir) const;
    void register_user(const std::string& user, Deadline deadline);

    ProsodySettings settings_;
    std::filesystem::path config_path_;
    std::filesystem::path dir_;
    std::uint16_t c2s_port_;
    std::uint16_t component_port_;
    std::unique_ptr<Process> process_;
};

}  // namespace rig
