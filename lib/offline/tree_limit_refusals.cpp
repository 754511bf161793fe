#include "offline/tree_limit_refusals.hpp"

namespace offline {

void TreeLimitCounters::count(xmpp::TreeLimit limit) {
    switch (limit) {
        case xmpp::TreeLimit::depth:
            ++depth;
            return;
        case xmpp::TreeLimit::attributes:
            ++attributes;
            return;
        case xmpp::TreeLimit::children:
            ++children;
            return;
    }
}

std::uint64_t TreeLimitCounters::of(xmpp::TreeLimit limit) const {
    switch (limit) {
        case xmpp::TreeLimit::depth:
            return depth;
        case xmpp::TreeLimit::attributes:
            return attributes;
        case xmpp::TreeLimit::children:
            return children;
    }
    return 0;
}

TreeLimitCounters& TreeLimitCounters::operator+=(const TreeLimitCounters& other) {
    depth += other.depth;
    attributes += other.attributes;
    children += other.children;
    return *this;
}

StanzaError over_tree_limit_error(const xmpp::TreeLimits& limits, xmpp::TreeLimit limit) {
    return StanzaError{
        "modify", "policy-violation",
        "This service does not read a stanza with " + xmpp::describe_excess(limits, limit)};
}

std::string over_tree_limit_note(std::string_view stanza, const xmpp::TreeLimits& limits,
                                 xmpp::TreeLimit limit, std::string_view outcome) {
    return "offline: " + std::string(stanza) + " has " + xmpp::describe_excess(limits, limit) +
           ": " + std::string(outcome);
}

}  // namespace offline
