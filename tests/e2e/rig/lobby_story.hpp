#pragma once
// The scripted session shared by the relay tests and the demo: alice creates an instant
// room, bob joins, alice greets, bob replies, bob leaves. Every step waits for what the MUC
// must have sent before the next one starts, so what each client receives is the same,
// stanza for stanza, on every run; that is what lets two runs be compared.
#include <string>

#include "client.hpp"
#include "stack.hpp"

namespace rig {

struct LobbyStory {
    std::string room;  // defaults to lobby@<muc domain>
    std::string greeting = "Hello bob";
    std::string reply = "Hi alice";
};

// Throws, naming the step and what did not arrive, if any step fails.
void play_lobby_story(Stack& stack, Client& alice, Client& bob, LobbyStory story = {});

// Makes sure everything the MUC sent to `client` so far has arrived: the MUC answers a
// disco#info after whatever it queued before, and the link keeps order.
void sync_with_muc(Stack& stack, Client& client);

}  // namespace rig
