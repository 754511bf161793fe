#include "xmpp/tree_shape.hpp"

#include <vector>

namespace xmpp {

std::string_view limit_key(TreeLimit limit) {
    switch (limit) {
        case TreeLimit::depth:
            return "max_depth";
        case TreeLimit::attributes:
            return "max_attributes";
        case TreeLimit::children:
            return "max_children";
    }
    return "";
}

std::uint32_t limit_value(const TreeLimits& limits, TreeLimit limit) {
    switch (limit) {
        case TreeLimit::depth:
            return limits.max_depth;
        case TreeLimit::attributes:
            return limits.max_attributes;
        case TreeLimit::children:
            return limits.max_children;
    }
    return 0;
}

std::string describe_excess(const TreeLimits& limits, TreeLimit limit) {
    const std::string value = std::to_string(limit_value(limits, limit));
    const std::string key = " (limits." + std::string(limit_key(limit)) + ")";
    switch (limit) {
        case TreeLimit::depth:
            return "elements nested more than " + value + " deep" + key;
        case TreeLimit::attributes:
            return "an element with more than " + value + " attributes" + key;
        case TreeLimit::children:
            return "an element with more than " + value + " children" + key;
    }
    return key;
}

std::optional<TreeLimit> exceeded_tree_limit(std::string_view raw, const TreeLimits& limits) {
    constexpr auto npos = std::string_view::npos;
    // Children counted so far of each open element, the innermost last: its size is the depth.
    std::vector<std::uint32_t> open_elements;
    const auto one_more_child = [&] {
        return !open_elements.empty() && ++open_elements.back() > limits.max_children;
    };
    std::size_t pos = 0;
    while (pos < raw.size()) {
        const std::size_t tag = raw.find('<', pos);
        if (tag == npos) break;
        // libstrophe keeps the text between two tags as one node.
        if (tag > pos && one_more_child()) return TreeLimit::children;
        if (tag + 1 < raw.size() && raw[tag + 1] == '/') {
            if (!open_elements.empty()) open_elements.pop_back();
            const std::size_t end = raw.find('>', tag);
            if (end == npos) break;
            pos = end + 1;
            continue;
        }
        if (one_more_child()) return TreeLimit::children;
        if (open_elements.size() >= limits.max_depth) return TreeLimit::depth;
        open_elements.push_back(0);
        // Every attribute has exactly one quoted value, and only a quoted value may hold '>' or
        // '/' (XML 1.0 §3.1), so counting values counts attributes.
        std::uint32_t attributes = 0;
        std::size_t at = raw.find_first_of("'\">", tag + 1);
        while (at != npos && raw[at] != '>') {
            if (++attributes > limits.max_attributes) return TreeLimit::attributes;
            const std::size_t closing = raw.find(raw[at], at + 1);
            if (closing == npos) return std::nullopt;
            at = raw.find_first_of("'\">", closing + 1);
        }
        if (at == npos) break;
        if (raw[at - 1] == '/') open_elements.pop_back();
        pos = at + 1;
    }
    return std::nullopt;
}

}  // namespace xmpp
