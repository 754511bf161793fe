#include "lobby_story.hpp"

#include <stdexcept>

#include "muc_actions.hpp"
#include "muc_stanzas.hpp"

namespace rig {
namespace {

// Runs one step; on failure says which step it was.
template <typename Step>
void step(const std::string& what, Step&& run) {
    try {
        run();
    } catch (const std::exception& error) {
        throw std::runtime_error("step \"" + what + "\" failed: " + error.what());
    }
}

}  // namespace

void sync_with_muc(Stack& stack, Client& client) {
    StanzaRecord answer = muc::disco_info(stack, client, stack.muc_domain());
    if (answer.type != "result") {
        throw std::runtime_error(stack.muc_domain() + " answered disco#info with " + answer.xml);
    }
}

void play_lobby_story(Stack& stack, Client& alice, Client& bob, LobbyStory story) {
    if (story.room.empty()) story.room = "lobby@" + stack.muc_domain();
    const std::string& room = story.room;
    const std::string alice_in_room = room + "/alice";
    const std::string bob_in_room = room + "/bob";

    step("alice creates " + room, [&] { muc::create_instant_room(stack, alice, room, "alice"); });

    step("bob joins " + room, [&] {
        std::size_t alice_since = alice.mark();
        muc::join_room(stack, bob, room, "bob");
        stack.expect(alice, StanzaPattern::presence().type("").from(bob_in_room), alice_since);
    });

    step("alice says \"" + story.greeting + "\"", [&] {
        std::size_t bob_since = bob.mark();
        muc::say(stack, alice, room, "alice", story.greeting);
        stack.expect(
            bob,
            StanzaPattern::message().type("groupchat").from(alice_in_room).body(story.greeting),
            bob_since);
    });

    step("bob says \"" + story.reply + "\"", [&] {
        std::size_t alice_since = alice.mark();
        muc::say(stack, bob, room, "bob", story.reply);
        stack.expect(alice,
                     StanzaPattern::message().type("groupchat").from(bob_in_room).body(story.reply),
                     alice_since);
    });

    step("bob leaves " + room, [&] {
        std::size_t alice_since = alice.mark();
        muc::leave_room(stack, bob, room, "bob");
        stack.expect(alice, StanzaPattern::presence().type("unavailable").from(bob_in_room),
                     alice_since);
    });

    step("both sync with the MUC", [&] {
        sync_with_muc(stack, alice);
        sync_with_muc(stack, bob);
    });
}

}  // namespace rig
