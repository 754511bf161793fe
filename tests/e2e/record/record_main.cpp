// build/record-captures [ROOT [SCENARIO...]]: plays the scenarios the shared captures do not
// cover on the real stack (stock Prosody, mu-conference, the proxy in standalone registration
// mode, with the scenario's `offline` settings) and keeps what the proxy saw on the component
// link (`capture` in its config) as ROOT/<folder>/<scenario>.jsonl, for the replay tests
// (whose tests/replay/configs/<folder>/<scenario>.json must hold the same settings). Default
// ROOT: tests/replay/captures; without names, every scenario. Exits non-zero if a step fails.
#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../rig/lobby_story.hpp"
#include "../rig/muc_actions.hpp"
#include "../rig/room_admin.hpp"
#include "../rig/stack.hpp"
#include "../rig/text_file.hpp"

namespace fs = std::filesystem;

namespace {

using Scenario = std::function<void(rig::Stack&)>;

void expect_result(const rig::StanzaRecord& answer, const std::string& what) {
    if (answer.type != "result") throw std::runtime_error(what + " was refused: " + answer.xml);
}

// alice owns `room`; bob is in it and has opted in.
struct Cast {
    rig::Client& alice;
    rig::Client& bob;
    std::string room;
};

Cast bob_opted_in(rig::Stack& stack, const std::string& room_name) {
    Cast cast{stack.login("alice", "desk"), stack.login("bob", "phone"),
              room_name + "@" + stack.muc_domain()};
    rig::muc::create_instant_room(stack, cast.alice, cast.room, "alice");
    rig::muc::join_room(stack, cast.bob, cast.room, "bob");
    rig::muc::opt_in(stack, cast.bob, cast.room, "bob");
    return cast;
}

// bob opts in, changes his nick while in the room (no copies), then leaves (copies).
void nick_change(rig::Stack& stack) {
    Cast c = bob_opted_in(stack, "r1-nick");
    rig::muc::change_nick(stack, c.bob, c.room, "robert");
    rig::muc::say(stack, c.alice, c.room, "alice", "r1 while bob is robert, in the room");
    rig::muc::leave_room(stack, c.bob, c.room, "robert");
    rig::muc::say(stack, c.alice, c.room, "alice", "r1 after robert left");
    rig::sync_with_muc(stack, c.alice);
}

// bob opts in and leaves; an admin sets his affiliation to none: no more copies.
void affiliation_none(rig::Stack& stack) {
    Cast c = bob_opted_in(stack, "r2-revoke");
    rig::muc::leave_room(stack, c.bob, c.room, "bob");
    rig::muc::say(stack, c.alice, c.room, "alice", "r2 control (bob opted in, absent)");
    expect_result(rig::muc::set_affiliation(stack, c.alice, c.room, "bob@localhost", "none"),
                  "affiliation none");
    rig::muc::say(stack, c.alice, c.room, "alice", "r2 after bob's affiliation became none");
    rig::sync_with_muc(stack, c.alice);
}

// bob opts in and stays; he is banned (he gets 301): no copies afterwards.
void ban(rig::Stack& stack) {
    Cast c = bob_opted_in(stack, "r3-ban");
    std::size_t since = c.bob.mark();
    expect_result(rig::muc::set_affiliation(stack, c.alice, c.room, "bob@localhost", "outcast"),
                  "ban");
    stack.expect(c.bob, rig::StanzaPattern::presence().type("unavailable").status(301), since);
    rig::muc::say(stack, c.alice, c.room, "alice", "r3 after bob was banned");
    rig::sync_with_muc(stack, c.alice);
}

// bob opts in and leaves; alice destroys the room and creates it again: no copies.
void destroy(rig::Stack& stack) {
    Cast c = bob_opted_in(stack, "r4-destroy");
    rig::muc::leave_room(stack, c.bob, c.room, "bob");
    rig::muc::say(stack, c.alice, c.room, "alice", "r4 control (bob opted in, absent)");
    expect_result(rig::muc::destroy_room(stack, c.alice, c.room), "destroy");
    rig::muc::create_instant_room(stack, c.alice, c.room, "alice");
    rig::muc::say(stack, c.alice, c.room, "alice", "r4 in the room created again");
    rig::sync_with_muc(stack, c.alice);
}

constexpr int kMembers = 50;

std::string member(int i) {
    return "member" + std::to_string(i);
}

// 50 members opt in; two in three leave; alice sends two messages: one copy per absent member.
void many_members(rig::Stack& stack) {
    const std::string room = "r5-many@" + stack.muc_domain();
    rig::Client& alice = stack.login("alice", "desk");
    rig::muc::create_instant_room(stack, alice, room, "alice");
    for (int i = 1; i <= kMembers; ++i) {
        rig::Client& client = stack.login(member(i), "phone");
        rig::muc::join_room(stack, client, room, member(i));
        rig::muc::opt_in(stack, client, room, member(i));
        if (i % 3 != 0) rig::muc::leave_room(stack, client, room, member(i));
    }
    rig::muc::say(stack, alice, room, "alice", "r5 first message to many");
    rig::muc::say(stack, alice, room, "alice", "r5 second message to many");
    rig::sync_with_muc(stack, alice);
}

// Notices (offline.delivery "notice", interval 0): bob opts in and leaves, alice speaks; bob
// logs out altogether, alice speaks again. Each message is a notice to bob (stored offline by
// the stock server).
void notice(rig::Stack& stack) {
    Cast c = bob_opted_in(stack, "n1-notice");
    rig::muc::leave_room(stack, c.bob, c.room, "bob");
    rig::muc::say(stack, c.alice, c.room, "alice", "n1 are you there?");
    stack.logout(c.bob);
    rig::muc::say(stack, c.alice, c.room, "alice", "n1 said while he is offline");
    rig::sync_with_muc(stack, c.alice);
}

// Interval 2 s: three messages draw one notice; after the interval the next one says "3 new
// messages"; bob comes back and leaves: the next message notifies at once.
void coalesce(rig::Stack& stack) {
    Cast c = bob_opted_in(stack, "n2-coalesce");
    rig::muc::leave_room(stack, c.bob, c.room, "bob");
    rig::muc::say(stack, c.alice, c.room, "alice", "n2 first");
    rig::muc::say(stack, c.alice, c.room, "alice", "n2 second");
    rig::muc::say(stack, c.alice, c.room, "alice", "n2 third");
    // The interval is what is recorded: a real wait past it (the replay reads the capture's
    // clock).
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    rig::muc::say(stack, c.alice, c.room, "alice", "n2 fourth, after the interval");
    rig::muc::say(stack, c.alice, c.room, "alice", "n2 fifth");
    rig::muc::join_room(stack, c.bob, c.room, "bob");
    rig::muc::leave_room(stack, c.bob, c.room, "bob");
    rig::muc::say(stack, c.alice, c.room, "alice", "n2 sixth, after he came back");
    rig::sync_with_muc(stack, c.alice);
}

// only_mentions with notices: a message without mention is skipped; bob's nick in the text and
// a XEP-0372 reference to his room JID each draw a notice.
void mention(rig::Stack& stack) {
    Cast c = bob_opted_in(stack, "n3-mention");
    rig::muc::leave_room(stack, c.bob, c.room, "bob");
    rig::muc::say(stack, c.alice, c.room, "alice", "n3 nothing for anyone");
    rig::muc::say(stack, c.alice, c.room, "alice", "n3 Bob, lunch?");
    rig::muc::say(
        stack, c.alice, c.room, "alice", "n3 see above",
        "<reference xmlns='urn:xmpp:reference:0' type='mention' uri='xmpp:" + c.room + "/bob'/>");
    rig::sync_with_muc(stack, c.alice);
}

// An OMEMO message (its body is the fallback text): the notice says an encrypted message came.
void encrypted(rig::Stack& stack) {
    Cast c = bob_opted_in(stack, "n4-encrypted");
    rig::muc::leave_room(stack, c.bob, c.room, "bob");
    rig::muc::say(stack, c.alice, c.room, "alice",
                  "I sent you an OMEMO encrypted message but your client doesn't seem to support "
                  "that.",
                  "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1234'><key "
                  "rid='5678'>a2V5</key><iv>aXY=</iv></header><payload>cGF5bG9hZA==</payload>"
                  "</encrypted><encryption xmlns='urn:xmpp:eme:0' "
                  "namespace='eu.siacs.conversations.axolotl'/><store xmlns='urn:xmpp:hints'/>");
    rig::sync_with_muc(stack, c.alice);
}

// delivery "auto" against stock Prosody: the first message's copy bounces
// (service-unavailable), bob is switched, the next message reaches him as a notice.
void auto_switch(rig::Stack& stack) {
    Cast c = bob_opted_in(stack, "n5-auto");
    rig::muc::leave_room(stack, c.bob, c.room, "bob");
    rig::muc::say(stack, c.alice, c.room, "alice", "n5 first, copied and bounced");
    rig::sync_with_muc(stack, c.alice);
    // The bounce comes back on the component link; wait until the proxy logged the switch.
    const fs::path log = stack.dir() / "proxy.log";
    stack.wait_until(
        [&] {
            return rig::read_text_file(log).find("bob@localhost switched to notices") !=
                   std::string::npos;
        },
        "the proxy's log line switching bob to notices");
    rig::muc::say(stack, c.alice, c.room, "alice", "n5 second, a notice");
    rig::sync_with_muc(stack, c.alice);
}

struct Recording {
    std::string folder;
    std::string name;
    Scenario scenario;
    int extra_users = 0;
    std::string offline;  // the proxy's `offline` object, as the replay config holds it
};

bool record(const Recording& recording, const fs::path& root) {
    const std::string& name = recording.name;
    const int extra_users = recording.extra_users;
    const Scenario& scenario = recording.scenario;
    fs::create_directories(root / recording.folder);
    const fs::path capture = fs::absolute(root / recording.folder / (name + ".jsonl"));
    fs::remove(capture);
    rig::StackOptions options = rig::StackOptions::from_env(true);
    options.proxy_extra_config =
        R"("registration":"standalone","capture":")" + capture.string() + "\"" +
        (recording.offline.empty() ? "" : R"(,"offline":)" + recording.offline);
    for (int i = 1; i <= extra_users; ++i) options.extra_users.push_back(member(i));
    try {
        rig::Stack stack(options);
        try {
            scenario(stack);
        } catch (const std::exception& error) {
            std::cerr << name << ": " << error.what() << "\n" << stack.log_tails() << "\n";
            return false;
        }
    } catch (const std::exception& error) {
        std::cerr << name << ": " << error.what() << "\n";
        return false;
    }
    std::cout << "recorded " << capture.string() << "\n";
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    const fs::path root = argc > 1 ? fs::path(argv[1]) : fs::path("tests/replay/captures");
    const std::set<std::string> wanted(argv + std::min(argc, 2), argv + argc);
    const std::string notices = R"({"delivery":"notice","notice":{"min_interval_s":0}})";
    const std::vector<Recording> all = {
        {"own-mu-conference", "R1-nick-change", nick_change, 0, ""},
        {"own-mu-conference", "R2-revoke", affiliation_none, 0, ""},
        {"own-mu-conference", "R3-ban", ban, 0, ""},
        {"own-mu-conference", "R4-destroy", destroy, 0, ""},
        {"own-mu-conference", "R5-many-members", many_members, kMembers, ""},
        {"own-notices", "N1-notice", notice, 0, notices},
        {"own-notices", "N2-coalesce", coalesce, 0,
         R"({"delivery":"notice","notice":{"min_interval_s":2}})"},
        {"own-notices", "N3-mention", mention, 0,
         R"({"delivery":"notice","only_mentions":true,"notice":{"min_interval_s":300}})"},
        {"own-notices", "N4-encrypted", encrypted, 0, notices},
        {"own-notices", "N5-auto", auto_switch, 0,
         R"({"delivery":"auto","notice":{"min_interval_s":0}})"},
    };
    bool ok = true;
    for (const Recording& recording : all) {
        if (!wanted.empty() && !wanted.contains(recording.name)) continue;
        ok = record(recording, root) && ok;
    }
    return ok ? 0 : 1;
}
