#pragma once
// The cast of the push and notice tests: one stack (stock Prosody unless said otherwise, a MUC
// behind the proxy), alice who owns the room, and bob, a member with two resources: "phone"
// enters and leaves rooms, "laptop" stays online outside them. With push notifications the
// stack also runs the app server the tests play (push_service.hpp).
#include <memory>
#include <string>
#include <vector>

#include "client.hpp"
#include "muc_process.hpp"
#include "push_service.hpp"
#include "stack.hpp"
#include "stanza_record.hpp"

namespace rig {

struct AbsentMemberOptions {
    MucKind muc = MucKind::mu_conference;  // in standalone registration mode; Prosody's: augment
    bool capable_server = false;           // false: stock Prosody bounces groupchat to bare JIDs
    bool push_notifications = false;  // mod_cloud_notify, and the account "push" for the app server
    // The proxy's top-level "offline" object as JSON text, e.g. {"delivery":"notice"}; empty
    // leaves the proxy's defaults.
    std::string offline_config;
};

class AbsentMemberScene {
  public:
    AbsentMemberScene(const AbsentMemberOptions& options, const std::string& room_name);

    std::string occupant(const std::string& nick) const { return room + "/" + nick; }

    // alice creates the room as an instant room.
    void alice_creates_the_room();
    // bob enters with his phone, opts in under the nick "bob" and leaves.
    void bob_opts_in_and_leaves();
    // bob asks his server, from the laptop, to push to the app server under `node`.
    void bob_enables_push(const std::string& node);
    // Both of bob's resources log out: phone and laptop dangle afterwards.
    void bob_logs_out();

    Stack stack;
    std::unique_ptr<PushService> push;  // with AbsentMemberOptions::push_notifications
    Client& alice;
    Client& phone;
    Client& laptop;
    std::string room;
};

// Notices at `client` (interface of issue 12): messages of `type` from the bare room JID to the
// client's bare JID, received from index `since` on.
std::vector<StanzaRecord> notices_at(const Client& client, const std::string& room_jid,
                                     std::size_t since = 0, const std::string& type = "chat");

// The bodies of `stanzas`, in order.
std::vector<std::string> bodies_of(const std::vector<StanzaRecord>& stanzas);

}  // namespace rig
