// Small edits on libstrophe stanza trees for the rare path (register forms, disco#info),
// and a serializer that undoes the one thing libstrophe's parser loses: the `xml:` prefix of
// `xml:lang` (RFC 6120 §8.1.5), which its namespace-aware parse stores as a bare `lang`.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "xmpp/stanza_tree.hpp"

namespace offline {

using AttributeList = std::initializer_list<std::pair<const char*, std::string_view>>;

// A new element, owned by the returned tree.
xmpp::StanzaTree new_tree(const char* name, AttributeList attributes = {});

// Appends a child element to `parent` (which owns it) and returns it.
xmpp_stanza_t* append_element(xmpp_stanza_t* parent, const char* name,
                              AttributeList attributes = {});
// Appends character data to `parent` (nothing when `text` is empty).
void append_text(xmpp_stanza_t* parent, std::string_view text);
// Moves a whole tree under `parent`.
void adopt_child(xmpp_stanza_t* parent, xmpp::StanzaTree child);

// A deep copy of `root` without the elements (and their subtrees) for which `drop` is true.
// libstrophe 0.12 cannot detach a child, so removing one means copying the rest.
xmpp::StanzaTree copy_without(xmpp_stanza_t* root, const std::function<bool(xmpp_stanza_t*)>& drop);

// The stanza as text, with every `lang` attribute written back as `xml:lang` (no XMPP
// element defines an unqualified `lang`, so this restores what the parse dropped).
std::string serialize_stanza(xmpp::StanzaTree& tree);

}  // namespace offline
