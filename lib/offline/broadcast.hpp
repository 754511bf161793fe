// Recognizes each new groupchat message once in the MUC's broadcast. The MUC sends one copy
// per occupant, identical but for `to` (and, with Prosody, the order of attributes), so a
// message is keyed by its room and its content without `to`. A recipient seen twice for the
// same key means the same text was sent again: a new message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "xml/element_view.hpp"

namespace offline {

// Hash of a stanza's top-level attributes other than `to` (order-independent) and of the raw
// bytes after its start tag.
std::uint64_t broadcast_key(const xml::ElementView& top, std::string_view raw);

class BroadcastTracker {
  public:
    // True when this copy (to `recipient`) starts a new message in `room`.
    bool is_new_message(const std::string& room, std::uint64_t key, std::string_view recipient);
    // What is_new_message would answer, without recording anything.
    bool would_start_new(const std::string& room, std::uint64_t key,
                         std::string_view recipient) const;
    // Whether the room's latest message went to `recipient`.
    bool reached(const std::string& room, std::string_view recipient) const;
    // The room's broadcast is over: whatever comes next for it is a new message. Keeps the
    // tracker to the broadcasts under way, however many rooms the MUC has (strangers can
    // create rooms).
    void forget(const std::string& room);
    std::size_t rooms() const { return rooms_.size(); }

  private:
    struct Current {
        std::uint64_t key = 0;
        std::unordered_set<std::uint64_t> recipients;  // hashes of recipient JIDs
    };
    Current& entry(const std::string& room);

    std::unordered_map<std::string, Current> rooms_;
    // The last room forgotten, kept as a node: the next room takes it over, its key's and
    // set's memory included, so a message costs no allocation.
    std::unordered_map<std::string, Current>::node_type spare_;
};

}  // namespace offline
