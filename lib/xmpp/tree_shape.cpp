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

namespace {

// The children counted so far of each open element, the innermost last (its size is the
// depth): on the stack up to kOnStack levels, which covers real stanzas and the default
// max_depth, without an allocation per stanza read.
class OpenElements {
  public:
    bool empty() const { return depth_ == 0; }
    std::size_t depth() const { return depth_; }
    std::uint32_t& innermost() {
        return depth_ <= kOnStack ? on_stack_[depth_ - 1] : deeper_.back();
    }
    void push() {
        if (depth_ < kOnStack)
            on_stack_[depth_] = 0;
        else
            deeper_.push_back(0);
        ++depth_;
    }
    void pop() {
        if (depth_ > kOnStack) deeper_.pop_back();
        --depth_;
    }

  private:
    static constexpr std::size_t kOnStack = 64;
    std::uint32_t on_stack_[kOnStack];
    std::vector<std::uint32_t> deeper_;
    std::size_t depth_ = 0;
};

// The next quote or '>' from `at`, or npos.
std::size_t next_quote_or_end(std::string_view raw, std::size_t at) {
    for (; at < raw.size(); ++at) {
        const char c = raw[at];
        if (c == '\'' || c == '"' || c == '>') return at;
    }
    return std::string_view::npos;
}

}  // namespace

std::optional<TreeLimit> exceeded_tree_limit(std::string_view raw, const TreeLimits& limits) {
    constexpr auto npos = std::string_view::npos;
    OpenElements open_elements;
    const auto one_more_child = [&] {
        return !open_elements.empty() && ++open_elements.innermost() > limits.max_children;
    };
    std::size_t pos = 0;
    while (pos < raw.size()) {
        const std::size_t tag = raw.find('<', pos);
        if (tag == npos) break;
        // libstrophe keeps the text between two tags as one node.
        if (tag > pos && one_more_child()) return TreeLimit::children;
        if (tag + 1 < raw.size() && raw[tag + 1] == '/') {
            if (!open_elements.empty()) open_elements.pop();
            const std::size_t end = raw.find('>', tag);
            if (end == npos) break;
            pos = end + 1;
            continue;
        }
        if (one_more_child()) return TreeLimit::children;
        if (open_elements.depth() >= limits.max_depth) return TreeLimit::depth;
        open_elements.push();
        // Every attribute has exactly one quoted value, and only a quoted value may hold '>' or
        // '/' (XML 1.0 §3.1), so counting values counts attributes.
        std::uint32_t attributes = 0;
        std::size_t at = next_quote_or_end(raw, tag + 1);
        while (at != npos && raw[at] != '>') {
            if (++attributes > limits.max_attributes) return TreeLimit::attributes;
            const std::size_t closing = raw.find(raw[at], at + 1);
            if (closing == npos) return std::nullopt;
            at = next_quote_or_end(raw, closing + 1);
        }
        if (at == npos) break;
        if (raw[at - 1] == '/') open_elements.pop();
        pos = at + 1;
    }
    return std::nullopt;
}

}  // namespace xmpp
