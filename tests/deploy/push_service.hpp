#pragma once
// The XEP-0357 app server of the guides' push checks, played by an ordinary client: a server's
// push module publishes to it as to any push service (§5, an iq set with a pubsub publish to
// the JID a client gave in <enable/>). It accepts every publish and prints one line for each,
// so a script can see which messages the server turned into pushes.
#include <cstdint>
#include <string>

#include "../e2e/rig/client.hpp"

namespace deploy {

// The line printed for one publish: "publish node=NODE" and then the summary fields the
// server sent (§5.1, urn:xmpp:push:summary), in the order message-count, last-message-sender,
// last-message-body, each as " NAME=VALUE". Empty when `iq` is not a pubsub publish.
std::string describe_publish(const std::string& iq);

// Logs in with `account`, prints "push service online as JID", then answers iqs and prints a
// line per publish until `seconds` have passed or the connection fails (exit status 1).
int serve_push(const rig::Account& account, std::uint16_t port, const std::string& log_dir,
               int seconds);

}  // namespace deploy
