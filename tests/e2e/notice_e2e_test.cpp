// Issue 12, part 2: notices (offline.delivery = notice | auto), on both MUCs behind the proxy,
// with stock Prosody 0.12 as bob's server unless said otherwise. A notice is a type='chat'
// message from the bare room JID to bob's bare JID (the interface in the issue):
//   "alice in ROOM: TEXT", "N new messages in ROOM, last from alice: TEXT",
//   "alice mentioned you in ROOM: TEXT".
// Stock Prosody delivers a chat message to a bare JID (mod_message.lua process_to_bare(),
// lines 43-69): to the user's online resources of highest priority, else through
// "message/offline/handle" to mod_offline's storage; unlike a groupchat copy it is never bounced.
//
// bob's "phone" enters and leaves the room, his "laptop" stays online outside it; "no notice"
// is checked after the laptop synced with the MUC (a notice leaves the proxy right behind the
// broadcast, so before the MUC's answer to anything sent later).
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
#include "rig/text_file.hpp"

namespace {

using rig::AbsentMemberScene;
using rig::Client;
using rig::StanzaRecord;
using Lines = std::vector<std::string>;

constexpr const char* kEveryMessage = R"({"delivery":"notice","notice":{"min_interval_s":0}})";

rig::AbsentMemberOptions notices(rig::MucKind muc, const std::string& offline_config) {
    rig::AbsentMemberOptions options;
    options.muc = muc;
    options.offline_config = offline_config;
    return options;
}

// alice says each line; returns the notices bob's laptop got for them.
std::vector<StanzaRecord> notices_for(AbsentMemberScene& scene, const Lines& lines) {
    const std::size_t since = scene.laptop.mark();
    for (const std::string& line : lines) {
        rig::muc::say(scene.stack, scene.alice, scene.room, "alice", line);
    }
    rig::sync_with_muc(scene.stack, scene.laptop);
    return rig::notices_at(scene.laptop, scene.room, since);
}

std::string one_message(const AbsentMemberScene& scene, const std::string& text) {
    return "alice in " + scene.room + ": " + text;
}

// (a) bob offline altogether: his server stores the notice and hands it over when he is back.
void stored_until_online(rig::MucKind muc) {
    AbsentMemberScene scene(notices(muc, kEveryMessage), "notice-stored");
    INFO(rig::LogTails{scene.stack});
    scene.alice_creates_the_room();
    scene.bob_opts_in_and_leaves();
    scene.bob_logs_out();

    rig::muc::say(scene.stack, scene.alice, scene.room, "alice", "Read this when you are back.");
    rig::sync_with_muc(scene.stack, scene.alice);  // the notice went out before this answer
    Client& later = scene.stack.login("bob", "later", "bob-later");
    scene.stack.wait_until([&] { return !rig::notices_at(later, scene.room).empty(); },
                           "a stored notice at bob's new session");
    rig::sync_with_muc(scene.stack, later);
    std::vector<StanzaRecord> stored = rig::notices_at(later, scene.room);
    REQUIRE(stored.size() == 1);
    CHECK(stored[0].body == one_message(scene, "Read this when you are back."));
    CHECK(stored[0].to == "bob@localhost");
    CHECK(stored[0].has_delay);  // XEP-0203: from offline storage
    CHECK(rig::muc::copies_at(later, scene.occupant("alice")).empty());
}

// (b) bob online outside the room: the notice reaches the laptop live.
void live_while_online(rig::MucKind muc) {
    AbsentMemberScene scene(notices(muc, kEveryMessage), "notice-live");
    INFO(rig::LogTails{scene.stack});
    scene.alice_creates_the_room();
    scene.bob_opts_in_and_leaves();
    const std::size_t since = scene.laptop.mark();

    // Neither line names bob: a mention would make it "alice mentioned you in ...".
    std::vector<StanzaRecord> live = notices_for(scene, {"Are you there?", "Lunch at noon."});
    CHECK(rig::bodies_of(live) ==
          Lines{one_message(scene, "Are you there?"), one_message(scene, "Lunch at noon.")});
    for (const StanzaRecord& notice : live) {
        CHECK_FALSE(notice.has_delay);
        CHECK(notice.xml.find("urn:xmpp:hints") != std::string::npos);  // no-permanent-store
    }
    CHECK(rig::muc::copies_at(scene.laptop, scene.occupant("alice"), since).empty());
}

// (c) min_interval_s large: one notice for three messages, one for a mention; coming back
// resets.
void coalesced(rig::MucKind muc) {
    AbsentMemberScene scene(
        notices(muc, R"({"delivery":"notice","notice":{"min_interval_s":3600}})"),
        "notice-coalesced");
    INFO(rig::LogTails{scene.stack});
    scene.alice_creates_the_room();
    scene.bob_opts_in_and_leaves();

    CHECK(rig::bodies_of(notices_for(scene, {"One.", "Two.", "Three."})) ==
          Lines{one_message(scene, "One.")});
    // A mention gets its own notice, interval or not.
    CHECK(rig::bodies_of(notices_for(scene, {"bob, look at this."})) ==
          Lines{"alice mentioned you in " + scene.room + ": bob, look at this."});

    rig::muc::join_room(scene.stack, scene.phone, scene.room, "bob");
    rig::muc::leave_room(scene.stack, scene.phone, scene.room, "bob");
    CHECK(rig::bodies_of(notices_for(scene, {"Four."})) == Lines{one_message(scene, "Four.")});

    scene.stack.stop_proxy(rig::StopHow::sigterm);
    rig::ProxyCounters counters =
        rig::last_logged_counters(scene.stack.proxy()->process().log_path());
    REQUIRE(counters.found);
    CHECK(counters.notices_sent == 3);
    CHECK(counters.notices_suppressed == 2);
}

// (d) only_mentions: nothing without bob's nick in the body, a notice with it.
void only_mentions(rig::MucKind muc) {
    AbsentMemberScene scene(
        notices(muc, R"({"delivery":"notice","only_mentions":true,"notice":{"min_interval_s":0}})"),
        "notice-mentions");
    INFO(rig::LogTails{scene.stack});
    scene.alice_creates_the_room();
    scene.bob_opts_in_and_leaves();

    CHECK(notices_for(scene, {"Nobody is named here."}).empty());
    CHECK(rig::bodies_of(notices_for(scene, {"bob, are you coming?"})) ==
          Lines{"alice mentioned you in " + scene.room + ": bob, are you coming?"});
}

// (e) auto on stock Prosody: the first copy bounces (service-unavailable), which switches bob
// to notices; the next message reaches him as one, which counts the bounced one.
void auto_switches_after_a_bounce(rig::MucKind muc) {
    AbsentMemberScene scene(notices(muc, R"({"delivery":"auto","notice":{"min_interval_s":0}})"),
                            "auto-stock");
    INFO(rig::LogTails{scene.stack});
    scene.alice_creates_the_room();
    scene.bob_opts_in_and_leaves();

    CHECK(notices_for(scene, {"First, bounced."}).empty());
    rig::sync_with_muc(scene.stack, scene.alice);  // the bounce reached the proxy before this
    // The first notice counts the bounced message too.
    CHECK(rig::bodies_of(notices_for(scene, {"Second, as a notice."})) ==
          Lines{"2 new messages in " + scene.room + ", last from alice: Second, as a notice."});
    CHECK(rig::muc::copies_at(scene.laptop, scene.occupant("alice")).empty());

    scene.stack.stop_proxy(rig::StopHow::sigterm);
    const auto log = scene.stack.proxy()->process().log_path();
    CHECK(rig::file_contains(log,
                             "offline delivery to bob@localhost switched to notices: its server "
                             "refused a copy (service-unavailable)"));
    rig::ProxyCounters counters = rig::last_logged_counters(log);
    REQUIRE(counters.found);
    CHECK(counters.copies_sent == 1);
    CHECK(counters.bounces_swallowed == 1);
    CHECK(counters.notices_sent == 1);
    CHECK(counters.members_switched_to_notices == 1);
}

// (e) auto on the capable server: the copies are delivered, so bob keeps getting them.
void auto_keeps_copies_on_a_capable_server(rig::MucKind muc) {
    rig::AbsentMemberOptions options =
        notices(muc, R"({"delivery":"auto","notice":{"min_interval_s":0}})");
    options.capable_server = true;
    AbsentMemberScene scene(options, "auto-capable");
    INFO(rig::LogTails{scene.stack});
    scene.alice_creates_the_room();
    scene.bob_opts_in_and_leaves();

    const std::size_t since = scene.laptop.mark();
    CHECK(notices_for(scene, {"First copy.", "Second copy."}).empty());
    CHECK(rig::bodies_of(rig::muc::copies_at(scene.laptop, scene.occupant("alice"), since)) ==
          Lines{"First copy.", "Second copy."});

    scene.stack.stop_proxy(rig::StopHow::sigterm);
    const auto log = scene.stack.proxy()->process().log_path();
    // The switch's own line; the counters line always says "members switched to notices N".
    CHECK_FALSE(rig::file_contains(log, "switched to notices: "));
    rig::ProxyCounters counters = rig::last_logged_counters(log);
    REQUIRE(counters.found);
    CHECK(counters.copies_sent == 2);
    CHECK(counters.notices_sent == 0);
    CHECK(counters.members_switched_to_notices == 0);
}

// (f) mod_cloud_notify and a notice. bob online outside the room: the notice goes to his
// resources (mod_message.lua lines 44-55) and no hook of mod_cloud_notify sees it (it hooks
// message/offline/handle and message/bare/groupchat, mod_cloud_notify.lua lines 437-449; its
// archive hook needs mod_mam, not loaded), so no push. bob offline: message/offline/handle
// fires, mod_cloud_notify's handler (priority 1) publishes before mod_offline's (-1) stores it.
void pushed_when_offline(rig::MucKind muc) {
    constexpr const char* kNode = "bob-node";
    rig::AbsentMemberOptions options = notices(muc, kEveryMessage);
    options.push_notifications = true;
    AbsentMemberScene scene(options, "notice-push");
    INFO(rig::LogTails{scene.stack});
    rig::PushService& push = *scene.push;
    scene.bob_enables_push(kNode);
    scene.alice_creates_the_room();
    scene.bob_opts_in_and_leaves();

    std::size_t since = push.mark();
    CHECK(rig::bodies_of(notices_for(scene, {"While you are online."})) ==
          Lines{one_message(scene, "While you are online.")});
    rig::sync_with_muc(scene.stack, push.client());
    // Bounded, only to give a push that should not exist the chance to show up.
    CHECK_FALSE(push.publish_arrives_within(kNode, since, rig::Millis(500)));

    scene.bob_logs_out();
    since = push.mark();
    rig::muc::say(scene.stack, scene.alice, scene.room, "alice", "While you are away.");
    rig::PushPublish publish = push.expect_publish(kNode, since);
    INFO("the publish: " << publish.xml);
    CHECK(publish.message_count == "1");
    CHECK(publish.last_message_sender == scene.room);
    CHECK(publish.last_message_body == one_message(scene, "While you are away."));
    rig::sync_with_muc(scene.stack, push.client());
    CHECK(push.publishes_for(kNode, since).size() == 1);

    Client& later = scene.stack.login("bob", "later", "bob-later");
    scene.stack.wait_until([&] { return !rig::notices_at(later, scene.room).empty(); },
                           "the stored notice at bob's new session");
    CHECK(rig::bodies_of(rig::notices_at(later, scene.room)) ==
          Lines{one_message(scene, "While you are away.")});
}

}  // namespace

ON_BOTH_MUCS("notice: offline member gets it from storage later", stored_until_online)
ON_BOTH_MUCS("notice: online member outside the room gets it live", live_while_online)
ON_BOTH_MUCS("notice: min_interval_s coalesces, coming back resets", coalesced)
ON_BOTH_MUCS("notice: only_mentions", only_mentions)
ON_BOTH_MUCS("notice: auto switches to notices after a bounce", auto_switches_after_a_bounce)
ON_BOTH_MUCS("notice: auto keeps copies on a capable server", auto_keeps_copies_on_a_capable_server)
ON_BOTH_MUCS("notice: push for a notice only while offline", pushed_when_offline)
