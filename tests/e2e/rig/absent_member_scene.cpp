#include "absent_member_scene.hpp"

#include <stdexcept>

#include "muc_actions.hpp"
#include "room_admin.hpp"

namespace rig {
namespace {

StackOptions stack_options(const AbsentMemberOptions& scene) {
    StackOptions options = StackOptions::from_env(true);
    options.muc = scene.muc;
    std::string config;
    // mu-conference has no room registration of its own: the proxy answers for it.
    if (scene.muc == MucKind::mu_conference) config = R"("registration":"standalone")";
    if (!scene.offline_config.empty()) {
        config += (config.empty() ? "" : ",") + std::string(R"("offline":)") + scene.offline_config;
    }
    options.proxy_extra_config = config;
    options.capable_server = scene.capable_server;
    options.push_notifications = scene.push_notifications;
    if (scene.push_notifications) options.extra_users.push_back("push");
    return options;
}

}  // namespace

AbsentMemberScene::AbsentMemberScene(const AbsentMemberOptions& options,
                                     const std::string& room_name)
    : stack(stack_options(options)),
      push(options.push_notifications ? std::make_unique<PushService>(stack) : nullptr),
      alice(stack.login("alice", "desk")),
      phone(stack.login("bob", "phone", "bob-phone")),
      laptop(stack.login("bob", "laptop", "bob-laptop")),
      room(room_name + "@" + stack.muc_domain()) {}

void AbsentMemberScene::alice_creates_the_room() {
    muc::create_instant_room(stack, alice, room, "alice");
}

void AbsentMemberScene::bob_opts_in_and_leaves() {
    muc::join_room(stack, phone, room, "bob");
    muc::opt_in(stack, phone, room, "bob");
    muc::leave_room(stack, phone, room, "bob");
}

void AbsentMemberScene::bob_enables_push(const std::string& node) {
    if (!push) throw std::logic_error("bob_enables_push: the scene has no push service");
    StanzaRecord answer = enable_push(stack, laptop, push->jid(), node);
    if (answer.type != "result") {
        throw std::runtime_error("bob's server refused to enable push: " + answer.xml);
    }
}

void AbsentMemberScene::bob_logs_out() {
    stack.logout(laptop);
    stack.logout(phone);
}

std::vector<StanzaRecord> notices_at(const Client& client, const std::string& room_jid,
                                     std::size_t since, const std::string& type) {
    std::vector<StanzaRecord> notices;
    const auto& received = client.received();
    for (std::size_t i = since; i < received.size(); ++i) {
        const StanzaRecord& stanza = received[i];
        if (stanza.name == "message" && stanza.type == type && stanza.from == room_jid &&
            stanza.to == client.account().bare_jid()) {
            notices.push_back(stanza);
        }
    }
    return notices;
}

std::vector<std::string> bodies_of(const std::vector<StanzaRecord>& stanzas) {
    std::vector<std::string> bodies;
    for (const StanzaRecord& stanza : stanzas) bodies.push_back(stanza.body);
    return bodies;
}

}  // namespace rig
