// End to end: real Prosody, real mu-conference, real clients, with the proxy (or the socat
// relay, E2E_RELAY=socat) on the component link between them. Each TEST_CASE builds its own
// stack on fresh ports and a fresh temp dir; the logs' tails are printed when a check fails.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "rig/lobby_story.hpp"
#include "rig/muc_actions.hpp"
#include "rig/muc_stanzas.hpp"
#include "rig/stack.hpp"
#include "rig/transcript.hpp"

namespace {

using rig::StanzaPattern;
using rig::StanzaRecord;

// Stanzas `client` received from `from`, of a kind.
std::vector<StanzaRecord> received_from(const rig::Client& client, const std::string& name,
                                        const std::string& from) {
    std::vector<StanzaRecord> found;
    for (const auto& stanza : client.received()) {
        if (stanza.name == name && stanza.from == from) found.push_back(stanza);
    }
    return found;
}

// The lobby story on a fresh stack; what alice and bob received, normalized.
std::vector<std::string> lobby_transcript(bool through_proxy) {
    rig::Stack stack(through_proxy);
    INFO(rig::LogTails{stack});
    rig::Client& alice = stack.login("alice", "desk");
    rig::Client& bob = stack.login("bob", "phone");
    rig::play_lobby_story(stack, alice, bob);
    return rig::normalized_transcript({&alice, &bob});
}

}  // namespace

TEST_CASE("through the proxy, two occupants create a room, talk and one leaves") {
    rig::Stack stack(true);
    INFO(rig::LogTails{stack});
    rig::Client& alice = stack.login("alice", "desk");
    rig::Client& bob = stack.login("bob", "phone");

    rig::play_lobby_story(stack, alice, bob);

    const std::string room = "lobby@" + stack.muc_domain();
    // What alice saw of bob: his presence, his message, his departure.
    auto bob_messages = received_from(alice, "message", room + "/bob");
    REQUIRE(bob_messages.size() == 1);
    CHECK(bob_messages[0].type == "groupchat");
    CHECK(bob_messages[0].body == "Hi alice");
    CHECK(bob_messages[0].to == alice.jid());
    auto bob_presences = received_from(alice, "presence", room + "/bob");
    REQUIRE(bob_presences.size() == 2);
    CHECK(bob_presences[0].type.empty());
    CHECK(bob_presences[1].type == "unavailable");

    // What bob saw of alice: her message, once.
    auto alice_messages = received_from(bob, "message", room + "/alice");
    REQUIRE(alice_messages.size() == 1);
    CHECK(alice_messages[0].type == "groupchat");
    CHECK(alice_messages[0].body == "Hello bob");
    CHECK(alice_messages[0].to == bob.jid());

    // Each sees its own message reflected by the room (XEP-0045 §7.4).
    CHECK(received_from(alice, "message", room + "/alice").size() == 1);
    CHECK(received_from(bob, "message", room + "/bob").size() == 1);
}

TEST_CASE("clients see the same session with and without the proxy") {
    std::vector<std::string> direct = lobby_transcript(false);
    std::vector<std::string> proxied = lobby_transcript(true);
    const std::string difference =
        rig::first_difference(direct, proxied, "without proxy", "through proxy");
    CHECK_MESSAGE(difference.empty(), (difference + "(E2E_KEEP=1 keeps both stacks' logs)"));
    // A transcript that compares equal because it is empty proves nothing.
    CHECK(direct.size() > 10);
}

TEST_CASE("after mu-conference restarts behind the proxy, the room can be entered again") {
    rig::Stack stack(true);
    INFO(rig::LogTails{stack});
    rig::Client& alice = stack.login("alice", "desk");
    rig::Client& bob = stack.login("bob", "phone");
    const std::string room = "lobby@" + stack.muc_domain();
    rig::muc::create_instant_room(stack, alice, room, "alice");
    rig::muc::join_room(stack, bob, room, "bob");

    stack.stop_muc();
    stack.start_muc();  // returns once it answers disco#info through the proxy

    // A restarted mu-conference has no temporary rooms: entering creates the room anew.
    rig::muc::create_instant_room(stack, alice, room, "alice");
    std::size_t alice_since = alice.mark();
    rig::muc::join_room(stack, bob, room, "bob");
    stack.expect(alice, StanzaPattern::presence().type("").from(room + "/bob"), alice_since);
    std::size_t bob_since = bob.mark();
    rig::muc::say(stack, alice, room, "alice", "still here");
    StanzaRecord got = stack.expect(
        bob, StanzaPattern::message().type("groupchat").from(room + "/alice"), bob_since);
    CHECK(got.body == "still here");
}
