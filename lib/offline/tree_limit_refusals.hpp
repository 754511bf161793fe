// What the feature does with a stanza whose tree would exceed the link's tree limits
// (xmpp/tree_shape.hpp): it builds none and does not read it. A request from the server side
// is answered with policy-violation (RFC 6120 §8.3.3.12) and goes no further: one stranger's
// stanza must not cost the link, so this is a stanza error, never a stream error. A stanza from
// the MUC goes on unchanged, without the feature's changes. Each is counted and logged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "offline/iq_answers.hpp"
#include "xmpp/tree_shape.hpp"

namespace offline {

struct TreeLimitCounters {
    std::uint64_t depth = 0;
    std::uint64_t attributes = 0;
    std::uint64_t children = 0;

    void count(xmpp::TreeLimit limit);
    std::uint64_t of(xmpp::TreeLimit limit) const;
    TreeLimitCounters& operator+=(const TreeLimitCounters& other);
};

// The error answering a request over `limit`; its text names the limit's key.
StanzaError over_tree_limit_error(const xmpp::TreeLimits& limits, xmpp::TreeLimit limit);

// The log line: `stanza` says which (e.g. "iq set from A to B"), `outcome` what became of it.
std::string over_tree_limit_note(std::string_view stanza, const xmpp::TreeLimits& limits,
                                 xmpp::TreeLimit limit, std::string_view outcome);

}  // namespace offline
