// Prosody's own MUC (mod_muc, unmodified) as an external component behind the proxy (or a
// socat relay): the relay's story. The offline feature on it is in scenarios_e2e_test.cpp.
#include <doctest/doctest.h>

#include "rig/lobby_story.hpp"
#include "rig/stack.hpp"

TEST_CASE("Prosody's MUC behind the proxy: two occupants create a room, talk and one leaves") {
    rig::StackOptions options = rig::StackOptions::from_env(true);
    options.muc = rig::MucKind::prosody;
    rig::Stack stack(options);
    INFO(rig::LogTails{stack});
    rig::Client& alice = stack.login("alice", "desk");
    rig::Client& bob = stack.login("bob", "phone");
    rig::play_lobby_story(stack, alice, bob);
    CHECK(alice.received().size() > 5);
}
