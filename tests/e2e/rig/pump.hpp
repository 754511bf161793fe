#pragma once
// Drives a set of clients from the test thread until something holds. All waiting in the
// tests goes through here: a condition and a deadline, never a fixed sleep.
#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

#include "client.hpp"
#include "deadline.hpp"
#include "stanza_pattern.hpp"

namespace rig {

// True as soon as done() holds; false if the deadline passes first.
bool pump_until(const std::vector<Client*>& clients, const std::function<bool()>& done,
                Deadline deadline);

// Index of the first stanza in who.received()[since..] that matches, if any.
std::optional<std::size_t> find_received(const Client& who, const StanzaPattern& pattern,
                                         std::size_t since = 0);

// Pumps until `who` has received a matching stanza at index >= since and returns a copy.
// Throws, naming the client, the pattern and what it got instead, when the timeout passes
// or the client's connection fails.
StanzaRecord expect_stanza(const std::vector<Client*>& clients, const Client& who,
                           const StanzaPattern& pattern, std::size_t since, Millis timeout);

}  // namespace rig
