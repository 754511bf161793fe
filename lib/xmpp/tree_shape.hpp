// How big a libstrophe tree the rare path may build from a stanza a stranger wrote. libstrophe
// recurses on depth (release, xmpp_stanza_to_text), keeps an element's attributes in a hash
// table of fixed size and walks the whole child list to append one child: depth overflows the
// stack and wide elements cost the square of their width. The raw bytes are checked first, in
// one pass, so no tree is ever built from a stanza over these limits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xmpp {

struct TreeLimits {
    std::uint32_t max_depth = 64;       // elements nested in one another; the stanza is 1
    std::uint32_t max_attributes = 64;  // on one element, namespace declarations included
    std::uint32_t max_children = 256;   // of one element: child elements and runs of text
    bool operator==(const TreeLimits&) const = default;
};

enum class TreeLimit { depth, attributes, children };

// The config key that sets it: "max_depth", "max_attributes", "max_children".
std::string_view limit_key(TreeLimit limit);
std::uint32_t limit_value(const TreeLimits& limits, TreeLimit limit);
// "elements nested more than 64 deep (limits.max_depth)" and the like, for an error's <text/>
// or a log line.
std::string describe_excess(const TreeLimits& limits, TreeLimit limit);

// The first limit that `raw`'s tree would exceed, or nullopt when it fits them all. Linear in
// `raw`, with memory bounded by max_depth. `raw` is one element as the framer hands it on
// (well-formed; no comment, processing instruction, CDATA section or DTD); anything else is
// scanned without harm and left to the parser to refuse.
std::optional<TreeLimit> exceeded_tree_limit(std::string_view raw, const TreeLimits& limits);

}  // namespace xmpp
