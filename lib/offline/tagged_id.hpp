// The id of a submit the proxy keeps a member's choice for goes to the MUC with a mark in front,
// and the MUC answers with the id it got (RFC 6120 §8.2.3). So an answer says by itself that it
// answers such a submit, even once the proxy has forgotten it (expired): the proxy then tells
// the member to submit again instead of passing on a success whose choice nobody kept.
// A member may send an id that looks marked: its answer goes back to that member alone.
#pragma once

#include <string>
#include <string_view>

namespace offline {

inline constexpr std::string_view kTaggedIdPrefix = "muc-offline-proxy~";

inline bool is_tagged(std::string_view id) {
    return id.starts_with(kTaggedIdPrefix);
}
// The member's own id: `id` without one mark (as it is when not marked).
inline std::string_view untagged(std::string_view id) {
    return is_tagged(id) ? id.substr(kTaggedIdPrefix.size()) : id;
}
inline std::string tagged(std::string_view id) {
    std::string marked(kTaggedIdPrefix);
    marked += id;
    return marked;
}

// `raw` (one well-formed stanza) with the value of its top element's id replaced by `id`,
// escaped; every other byte as it was. `raw` without an id comes back unchanged.
std::string with_id(std::string_view raw, std::string_view id);

}  // namespace offline
