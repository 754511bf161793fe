#include "offline/tree_edit.hpp"

#include <utility>
#include <vector>

namespace offline {
namespace {

void set_attributes(xmpp_stanza_t* element, AttributeList attributes) {
    for (const auto& [name, value] : attributes) {
        xmpp_stanza_set_attribute(element, name, std::string(value).c_str());
    }
}

xmpp_stanza_t* new_element(const char* name, AttributeList attributes) {
    xmpp_stanza_t* element = xmpp_stanza_new(xmpp::tree_context());
    xmpp_stanza_set_name(element, name);
    set_attributes(element, attributes);
    return element;
}

// A copy of `element`'s name and attributes (its namespace is the `xmlns` attribute).
xmpp_stanza_t* shallow_copy(xmpp_stanza_t* element) {
    xmpp_stanza_t* copy = xmpp_stanza_new(xmpp::tree_context());
    xmpp_stanza_set_name(copy, xmpp_stanza_get_name(element));
    const int count = xmpp_stanza_get_attribute_count(element);
    std::vector<const char*> pairs(static_cast<std::size_t>(count) * 2);
    const int filled = xmpp_stanza_get_attributes(element, pairs.data(), count * 2);
    for (int i = 0; i + 1 < filled; i += 2) xmpp_stanza_set_attribute(copy, pairs[i], pairs[i + 1]);
    return copy;
}

// Iterative: a stanza's depth is the sender's choice (the tree limits bound it, but nothing that
// walks a tree recurses on it).
xmpp_stanza_t* copy_filtered(xmpp_stanza_t* root, const std::function<bool(xmpp_stanza_t*)>& drop) {
    if (xmpp_stanza_is_text(root)) return xmpp_stanza_copy(root);
    xmpp_stanza_t* root_copy = shallow_copy(root);
    // Elements whose children are still to be copied, with their copies.
    std::vector<std::pair<xmpp_stanza_t*, xmpp_stanza_t*>> to_fill{{root, root_copy}};
    while (!to_fill.empty()) {
        const auto [element, copy] = to_fill.back();
        to_fill.pop_back();
        for (xmpp_stanza_t* c = xmpp_stanza_get_children(element); c != nullptr;
             c = xmpp_stanza_get_next(c)) {
            if (xmpp_stanza_is_text(c)) {
                xmpp_stanza_add_child_ex(copy, xmpp_stanza_copy(c), 0);
                continue;
            }
            if (!xmpp_stanza_is_tag(c) || drop(c)) continue;
            xmpp_stanza_t* child_copy = shallow_copy(c);
            xmpp_stanza_add_child_ex(copy, child_copy, 0);
            to_fill.emplace_back(c, child_copy);
        }
    }
    return root_copy;
}

void restore_xml_lang(xmpp_stanza_t* root) {
    std::vector<xmpp_stanza_t*> to_visit{root};
    while (!to_visit.empty()) {
        xmpp_stanza_t* element = to_visit.back();
        to_visit.pop_back();
        if (!xmpp_stanza_is_tag(element)) continue;
        if (const char* lang = xmpp_stanza_get_attribute(element, "lang"); lang != nullptr) {
            const std::string value(lang);
            xmpp_stanza_del_attribute(element, "lang");
            xmpp_stanza_set_attribute(element, "xml:lang", value.c_str());
        }
        for (xmpp_stanza_t* c = xmpp_stanza_get_children(element); c != nullptr;
             c = xmpp_stanza_get_next(c)) {
            to_visit.push_back(c);
        }
    }
}

}  // namespace

xmpp::StanzaTree new_tree(const char* name, AttributeList attributes) {
    return xmpp::StanzaTree(new_element(name, attributes));
}

xmpp_stanza_t* append_element(xmpp_stanza_t* parent, const char* name, AttributeList attributes) {
    xmpp_stanza_t* element = new_element(name, attributes);
    xmpp_stanza_add_child_ex(parent, element, 0);
    return element;
}

void append_text(xmpp_stanza_t* parent, std::string_view text) {
    if (text.empty()) return;
    xmpp_stanza_t* node = xmpp_stanza_new(xmpp::tree_context());
    xmpp_stanza_set_text_with_size(node, text.data(), text.size());
    xmpp_stanza_add_child_ex(parent, node, 0);
}

void adopt_child(xmpp_stanza_t* parent, xmpp::StanzaTree child) {
    // add_child takes its own reference; the tree's destructor drops ours.
    xmpp_stanza_add_child(parent, child.root());
}

xmpp::StanzaTree copy_without(xmpp_stanza_t* root,
                              const std::function<bool(xmpp_stanza_t*)>& drop) {
    return xmpp::StanzaTree(copy_filtered(root, drop));
}

std::string serialize_stanza(xmpp::StanzaTree& tree) {
    restore_xml_lang(tree.root());
    return tree.serialize();
}

}  // namespace offline
