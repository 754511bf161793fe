// build/record-captures [OUT_DIR]: plays the scenarios the shared captures do not cover on
// the real stack (Prosody, mu-conference, the proxy in standalone registration mode) and
// keeps what the proxy saw on the component link (`capture` in its config) as
// OUT_DIR/<scenario>.jsonl, for the replay tests. Default OUT_DIR:
// tests/replay/captures/own-mu-conference. Exits non-zero if a step fails.
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>

#include "../rig/lobby_story.hpp"
#include "../rig/muc_actions.hpp"
#include "../rig/room_admin.hpp"
#include "../rig/stack.hpp"

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

bool record(const std::string& name, const Scenario& scenario, const fs::path& out_dir,
            int extra_users) {
    const fs::path capture = fs::absolute(out_dir / (name + ".jsonl"));
    fs::remove(capture);
    rig::StackOptions options = rig::StackOptions::from_env(true);
    options.proxy_extra_config =
        R"("registration":"standalone","capture":")" + capture.string() + "\"";
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
    const fs::path out_dir =
        argc > 1 ? fs::path(argv[1]) : fs::path("tests/replay/captures/own-mu-conference");
    fs::create_directories(out_dir);
    bool ok = record("R1-nick-change", nick_change, out_dir, 0);
    ok = record("R2-revoke", affiliation_none, out_dir, 0) && ok;
    ok = record("R3-ban", ban, out_dir, 0) && ok;
    ok = record("R4-destroy", destroy, out_dir, 0) && ok;
    ok = record("R5-many-members", many_members, out_dir, kMembers) && ok;
    return ok ? 0 : 1;
}
