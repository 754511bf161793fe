// What one direction of the component link carries, stanza by stanza: every stanza's exact
// bytes are a function of its sequence number, so the receiving end can check each arrival
// against what was sent without keeping a copy of the traffic.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bench {

inline constexpr std::string_view kDomain = "conference.localhost";
inline constexpr std::string_view kSecret = "bench-secret";

// The members an offline-delivery proxy must copy one room message to (bare JIDs).
struct CopyTargets {
    std::vector<std::string> members;
    std::unordered_map<std::string_view, std::uint32_t> index;  // into members
    explicit CopyTargets(std::vector<std::string> bare_jids);
    CopyTargets(const CopyTargets&) = delete;
};

class Script {
  public:
    virtual ~Script() = default;
    // Appends stanza `seq`'s bytes.
    virtual void append(std::uint64_t seq, std::string& out) const = 0;
    // The room message stanza `seq` is one copy of (its broadcast), or -1.
    virtual std::int64_t broadcast_of(std::uint64_t) const { return -1; }
    // The members a proxy with the feature on copies broadcast `seq` belongs to.
    virtual const CopyTargets* copies_of(std::uint64_t) const { return nullptr; }
    // Whether stanza `seq` may arrive after later ones: a proxy holds what depends on a commit
    // (a new occupant's self-presence) and keeps the order only per recipient.
    virtual bool may_arrive_late(std::uint64_t) const { return false; }
};

// Appends decimal numbers and text without formatting machinery (the generator must outrun
// the relays it measures).
void append_number(std::string& out, std::uint64_t value);

}  // namespace bench
