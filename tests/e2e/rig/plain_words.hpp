#pragma once
// A stanza told as a sentence, for the demo's transcript:
//   [0.41s] alice -> lobby: "Hello bob"
//   [0.43s] bob <- lobby/alice: "Hello bob"
// Rooms are shown by their local part; the user's own server is "server".
#include <string>
#include <vector>

#include "client.hpp"
#include "stanza_record.hpp"

namespace rig {

std::string in_plain_words(const StanzaRecord& stanza, const std::string& muc_domain);

// Every stanza the clients sent or received, in time order, one sentence per line.
std::vector<std::string> plain_transcript(const std::vector<Client*>& clients,
                                          const std::string& muc_domain);

}  // namespace rig
