#pragma once
// What clients received, one line per stanza, with what legitimately differs between two
// runs of the same session left out: ids the server or libstrophe made up (ours start with
// "e2e-" and stay), timestamps and <delay/> contents, XEP-0359 stanza-ids, ports, the order
// between different clients. What stays: client, stanza kind, type, from, our ids, body,
// subject, MUC status codes, iq payload namespace, error condition.
#include <string>
#include <vector>

#include "client.hpp"

namespace rig {

// Each client's lines in the order it received them, clients in the order given.
std::vector<std::string> normalized_transcript(const std::vector<const Client*>& clients);

// Empty if equal; otherwise where the two first differ, for a failure message.
std::string first_difference(const std::vector<std::string>& expected,
                             const std::vector<std::string>& actual,
                             const std::string& expected_name, const std::string& actual_name);

}  // namespace rig
