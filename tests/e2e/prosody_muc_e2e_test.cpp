// Prosody's own MUC (mod_muc, unmodified) as an external component behind the proxy, in
// augment mode: the MUC keeps the registrations, the proxy adds the offline field to its form.
#include <doctest/doctest.h>

#include <string>

#include "rig/lobby_story.hpp"
#include "rig/muc_actions.hpp"
#include "rig/room_admin.hpp"
#include "rig/stack.hpp"

namespace {

rig::StackOptions prosody_muc_stack(bool capable_server) {
    rig::StackOptions options = rig::StackOptions::from_env(true);
    options.muc = rig::MucKind::prosody;
    options.capable_server = capable_server;
    return options;
}

}  // namespace

TEST_CASE("Prosody's MUC behind the proxy: two occupants create a room, talk and one leaves") {
    rig::Stack stack(prosody_muc_stack(false));
    INFO(rig::LogTails{stack});
    rig::Client& alice = stack.login("alice", "desk");
    rig::Client& bob = stack.login("bob", "phone");
    rig::play_lobby_story(stack, alice, bob);
    CHECK(alice.received().size() > 5);
}

TEST_CASE(
    "Prosody's MUC, augmented form: bob opts in and his laptop gets the copies while he is away") {
    if (rig::relay_kind_from_env() == rig::RelayKind::socat) return;  // the feature is the proxy's
    rig::Stack stack(prosody_muc_stack(true));
    INFO(rig::LogTails{stack});
    rig::Client& alice = stack.login("alice", "desk");
    rig::Client& phone = stack.login("bob", "phone", "bob-phone");
    rig::Client& laptop = stack.login("bob", "laptop", "bob-laptop");
    const std::string room = "augment@" + stack.muc_domain();
    const std::string from_alice = room + "/alice";
    rig::muc::create_instant_room(stack, alice, room, "alice");
    rig::muc::join_room(stack, phone, room, "bob");

    rig::StanzaRecord form = rig::muc::get_registration_form(stack, phone, room);
    REQUIRE(form.type == "result");
    CHECK(form.xml.find(rig::muc::kOfflineField) != std::string::npos);  // added by the proxy
    rig::StanzaRecord submitted = rig::muc::submit_registration(stack, phone, room, "bob", "true");
    REQUIRE(submitted.type == "result");  // answered by the MUC itself
    rig::muc::leave_room(stack, phone, room, "bob");

    const std::size_t away = laptop.mark();
    rig::muc::say(stack, alice, room, "alice", "Hello from Prosody's MUC.");
    stack.wait_until([&] { return rig::muc::copies_at(laptop, from_alice, away).size() == 1; },
                     "the copy at bob's laptop");

    rig::muc::join_room(stack, phone, room, "bob");
    const std::size_t back = laptop.mark();
    rig::muc::say(stack, alice, room, "alice", "bob is back.");
    rig::sync_with_muc(stack, laptop);
    CHECK(rig::muc::copies_at(laptop, from_alice, back).empty());
}
