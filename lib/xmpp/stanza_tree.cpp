#include "xmpp/stanza_tree.hpp"

#include <cstring>

namespace xmpp {

xmpp_ctx_t* tree_context() {
    static xmpp_ctx_t* context = xmpp_ctx_new(nullptr, nullptr);
    return context;
}

std::optional<StanzaTree> StanzaTree::parse(std::string_view raw, const TreeLimits& limits) {
    if (exceeded_tree_limit(raw, limits)) return std::nullopt;
    std::string text(raw);
    xmpp_stanza_t* root = xmpp_stanza_new_from_string(tree_context(), text.c_str());
    if (root == nullptr) return std::nullopt;
    return StanzaTree(root);
}

StanzaTree& StanzaTree::operator=(StanzaTree&& other) noexcept {
    if (this != &other) {
        if (root_ != nullptr) xmpp_stanza_release(root_);
        root_ = other.root_;
        other.root_ = nullptr;
    }
    return *this;
}

StanzaTree::~StanzaTree() {
    if (root_ != nullptr) xmpp_stanza_release(root_);
}

std::string StanzaTree::serialize() const {
    char* buffer = nullptr;
    size_t length = 0;
    if (xmpp_stanza_to_text(root_, &buffer, &length) != XMPP_EOK) return {};
    std::string out(buffer, length);
    xmpp_free(tree_context(), buffer);
    return out;
}

xmpp_stanza_t* child(xmpp_stanza_t* parent, const char* name, const char* ns) {
    if (parent == nullptr) return nullptr;
    for (xmpp_stanza_t* c = xmpp_stanza_get_children(parent); c != nullptr;
         c = xmpp_stanza_get_next(c)) {
        if (!xmpp_stanza_is_tag(c)) continue;
        const char* n = xmpp_stanza_get_name(c);
        const char* s = xmpp_stanza_get_ns(c);
        if (n != nullptr && std::strcmp(n, name) == 0 &&
            (ns == nullptr || (s != nullptr && std::strcmp(s, ns) == 0))) {
            return c;
        }
    }
    return nullptr;
}

std::string attribute(xmpp_stanza_t* element, const char* name) {
    if (element == nullptr) return {};
    const char* value = xmpp_stanza_get_attribute(element, name);
    return value == nullptr ? std::string() : std::string(value);
}

std::string text_of(xmpp_stanza_t* element) {
    if (element == nullptr) return {};
    char* text = xmpp_stanza_get_text(element);
    if (text == nullptr) return {};
    std::string out(text);
    xmpp_free(tree_context(), text);
    return out;
}

}  // namespace xmpp
