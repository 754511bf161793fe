// Recognizes each new groupchat message once in the MUC's broadcast. The MUC sends one copy
// per occupant, identical but for `to` (and, with Prosody, the order of attributes), so a
// message is keyed by its room and its content without `to`. A recipient seen twice for the
// same key means the same text was sent again: a new message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "offline/string_keys.hpp"
#include "xml/element_view.hpp"

namespace offline {

// Hash of a stanza's top-level attributes other than `to` (order-independent) and of the raw
// bytes after its start tag.
std::uint64_t broadcast_key(const xml::ElementView& top, std::string_view raw);

// The last groupchat copy the MUC sent, kept as bytes. The next copy of the same message is
// the same bytes but for the value of `to`: comparing the bytes around it recognises it
// without reading `from` or hashing the content again. Only a cache: what it answers follows
// from the bytes alone.
class LastBroadcastCopy {
  public:
    // `raw` is a copy of message `key` in `room`; its `to` value lies at `to`.
    void remember(std::string_view raw, xml::RawSpan to, const std::string& room,
                  std::uint64_t key);
    // True when `raw` is the remembered copy with another `to` value (at `to`).
    bool same_but_recipient(std::string_view raw, xml::RawSpan to) const;
    const std::string& room() const { return room_; }
    std::uint64_t key() const { return key_; }

  private:
    std::string raw_;
    xml::RawSpan to_;
    std::string room_;
    std::uint64_t key_ = 0;
};

// The recipients of one broadcast, as BroadcastTracker::recipient_id values: a flat table
// that keeps its memory from one message to the next, so a copy costs no allocation.
class RecipientSet {
  public:
    // False when `id` was in already.
    bool insert(std::uint64_t id);
    bool contains(std::uint64_t id) const;
    bool empty() const { return size_ == 0; }
    std::size_t size() const { return size_; }
    // Empties the set; a table far larger than its last message needed is given back.
    void clear();

  private:
    // 0 marks a free slot, so an id of 0 is stored as 1 (a collision costs a false "already
    // there" once in 2^64).
    static std::uint64_t stored(std::uint64_t id) { return id == 0 ? 1 : id; }
    void grow();

    std::vector<std::uint64_t> slots_;  // a power of two in size, or empty
    std::size_t size_ = 0;
};

class BroadcastTracker {
  public:
    // Who a recipient is to the tracker (a hash of the prepared full JID).
    static std::uint64_t recipient_id(std::string_view recipient);

    // True when this copy continues the broadcast under way in `room` (same message, a
    // recipient not seen yet), which then counts it; false, recording nothing, when it starts
    // a new message (a recipient seen again means the same text was sent again).
    bool continues(const std::string& room, std::uint64_t key, std::uint64_t recipient);
    // `room`'s new message `key`, its first copy to `recipient` (after continues() said no).
    void start_message(const std::string& room, std::uint64_t key, std::uint64_t recipient);
    // Who the room's latest message went to, or null.
    const RecipientSet* recipients_of(const std::string& room) const;
    // The room's broadcast is over: whatever comes next for it is a new message. Keeps the
    // tracker to the broadcasts under way, however many rooms the MUC has (strangers can
    // create rooms).
    void forget(const std::string& room);
    std::size_t rooms() const { return rooms_.size(); }

  private:
    struct Current {
        std::uint64_t key = 0;
        RecipientSet recipients;
    };
    Current& entry(const std::string& room);
    // The room's entry or null; the last one found is kept, so the copies of one broadcast
    // look their room up once.
    Current* find(const std::string& room);

    std::unordered_map<std::string, Current> rooms_;
    // The last room forgotten, kept as a node: the next room takes it over, its key's and
    // set's memory included, so a message costs no allocation.
    std::unordered_map<std::string, Current>::node_type spare_;
    LastFound<Current> last_found_;
};

}  // namespace offline
