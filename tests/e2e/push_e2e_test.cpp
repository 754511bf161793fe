// Issue 12, part 1: what the groupchat copy already does for push. The member's server is
// stock Prosody 0.12 (no mod_groupchat_to_bare) with Debian's mod_cloud_notify (XEP-0357),
// publishing to an app server the test plays (rig/push_service.hpp). bob enables push from
// his laptop, opts in with his phone and leaves; alice talks; each MUC runs behind the proxy.
//
// Why a copy is pushed even though stock Prosody refuses it (prosody 0.12.3, Debian
// prosody-modules 0.0~hg20230223):
//   * mod_message.lua process_to_bare(), lines 24-34: a type='groupchat' message to a bare JID
//     of an existing user fires "message/bare/groupchat", whether or not the user has any
//     session, and answers service-unavailable unless a handler returns true.
//   * mod_cloud_notify.lua lines 445-449 hook that event (priority 1) and call
//     handle_notify_request() for every push registration of the user, with no check of the
//     user's sessions (its comment says "when there are no devices connected"; the code does
//     not check), and return nothing. So the server publishes, then still bounces the copy
//     (which the proxy swallows).
//   * Lines 368-378: message-count is always "1"; last-message-sender is the stanza's from
//     (room/nick) and last-message-body its <body/> because the rig turns on
//     push_notification_with_sender and push_notification_with_body (rig/prosody_server.hpp).
//   * Lines 351-361 push a stanza at most once per registration; each copy is a stanza of its
//     own, so one publish per copy.
// Hence the same push in both cases below: bob online outside the room, and bob offline
// altogether. Neither case keeps the copy: it is not delivered and not stored.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "rig/absent_member_scene.hpp"
#include "rig/lobby_story.hpp"
#include "rig/muc_actions.hpp"
#include "rig/needs_the_proxy.hpp"
#include "rig/on_both_mucs.hpp"
#include "rig/proxy_log.hpp"
#include "rig/push_service.hpp"
#include "rig/room_admin.hpp"

namespace {

using rig::Client;
using rig::PushPublish;

constexpr const char* kBobNode = "bob-node";

rig::AbsentMemberOptions stock_server_with_push(rig::MucKind muc) {
    rig::AbsentMemberOptions options;
    options.muc = muc;
    options.push_notifications = true;
    return options;
}

// alice says each line; returns the publishes for bob's node they drew, once there are as many
// as lines and the app server has synced with the MUC (so none is still on its way).
std::vector<PushPublish> publishes_for(rig::AbsentMemberScene& scene,
                                       const std::vector<std::string>& lines) {
    rig::PushService& push = *scene.push;
    const std::size_t since = push.mark();
    for (const std::string& line : lines)
        rig::muc::say(scene.stack, scene.alice, scene.room, "alice", line);
    scene.stack.wait_until(
        [&] { return push.publishes_for(kBobNode, since).size() >= lines.size(); },
        std::to_string(lines.size()) + " publishes for " + kBobNode);
    // The server publishes while it handles the copy, which the proxy sent right behind the
    // broadcast: before the MUC's answer to this.
    rig::sync_with_muc(scene.stack, push.client());
    return push.publishes_for(kBobNode, since);
}

void check_summaries(const rig::AbsentMemberScene& scene, const std::vector<PushPublish>& publishes,
                     const std::vector<std::string>& lines) {
    REQUIRE(publishes.size() == lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const PushPublish& publish = publishes[i];
        INFO("publish " << i << ": " << publish.xml);
        CHECK(publish.from == scene.stack.domain());
        CHECK(publish.has_summary);
        CHECK(publish.message_count == "1");
        CHECK(publish.last_message_sender == scene.occupant("alice"));
        CHECK(publish.last_message_body == lines[i]);
        CHECK_FALSE(publish.has_publish_options);  // bob's <enable/> had none
    }
}

// The proxy's counters at a graceful stop: every copy was sent and came back as a bounce.
void check_all_copies_bounced(rig::AbsentMemberScene& scene, long copies) {
    scene.stack.stop_proxy(rig::StopHow::sigterm);
    rig::ProxyCounters counters =
        rig::last_logged_counters(scene.stack.proxy()->process().log_path());
    REQUIRE(counters.found);
    CHECK(counters.copies_sent == copies);
    CHECK(counters.bounces_swallowed == copies);
}

using Lines = std::vector<std::string>;

// bob's laptop stays online outside the room: the copy is pushed (message/bare/groupchat, see
// the top of the file) and bounced, so the laptop never sees it.
void online_outside_the_room(rig::MucKind muc) {
    rig::AbsentMemberScene scene(stock_server_with_push(muc), "pushed");
    INFO(rig::LogTails{scene.stack});
    scene.bob_enables_push(kBobNode);
    scene.alice_creates_the_room();
    scene.bob_opts_in_and_leaves();
    const std::size_t laptop_since = scene.laptop.mark();

    const Lines lines{"Are you there, bob?", "Lunch at noon."};
    check_summaries(scene, publishes_for(scene, lines), lines);
    rig::sync_with_muc(scene.stack, scene.laptop);
    CHECK(rig::muc::copies_at(scene.laptop, scene.occupant("alice"), laptop_since).empty());
    check_all_copies_bounced(scene, 2);
}

// bob is offline altogether: the same hook fires (it does not look at sessions), so the same
// push goes out; the copy is bounced, not stored, so bob's next session gets nothing.
void offline_altogether(rig::MucKind muc) {
    rig::AbsentMemberScene scene(stock_server_with_push(muc), "pushed-offline");
    INFO(rig::LogTails{scene.stack});
    scene.bob_enables_push(kBobNode);
    scene.alice_creates_the_room();
    scene.bob_opts_in_and_leaves();
    scene.bob_logs_out();

    const Lines lines{"Read this when you are back.", "And this."};
    check_summaries(scene, publishes_for(scene, lines), lines);
    Client& later = scene.stack.login("bob", "later", "bob-later");
    // mod_offline hands stored messages over on initial presence, before this answer.
    rig::sync_with_muc(scene.stack, later);
    CHECK(rig::muc::copies_at(later, scene.occupant("alice")).empty());
    check_all_copies_bounced(scene, 2);
}

}  // namespace

ON_BOTH_MUCS("push: groupchat copy, member online outside the room: pushed and bounced",
             online_outside_the_room)
ON_BOTH_MUCS("push: groupchat copy, member offline altogether: pushed and bounced, not stored",
             offline_altogether)
