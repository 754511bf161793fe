// Reads the elements of one complete element (a stanza's raw bytes) in document order,
// without building a tree: for a consumer that needs a few attributes a level or two down
// (a MUC presence's status codes). Bytes the scanner framed are plain (no prefixes, comments or
// processing instructions) and are walked by a loop over their tags; any other element goes to
// expat, whose parser is kept and reset between elements.
#pragma once

#include <expat.h>

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "xml/text_slots.hpp"

namespace xml {

struct WalkedAttribute {
    std::string_view name;   // "ns\x01local" when prefixed (expat only)
    std::string_view value;  // entity references resolved
};

struct WalkedElement {
    int depth;            // the element walked is 0
    std::string_view ns;  // empty when none is declared in the bytes walked
    std::string_view local;
    std::span<const WalkedAttribute> attributes;
    // The value of the un-namespaced attribute `name`, or empty.
    std::string_view attribute(std::string_view name) const;
};

class ElementWalker {
  public:
    using Visit = std::function<void(const WalkedElement&)>;

    ElementWalker();
    ~ElementWalker();
    ElementWalker(const ElementWalker&) = delete;
    ElementWalker& operator=(const ElementWalker&) = delete;

    // Calls `visit` for each element of `element` down to `max_depth`. `plain`: the scanner
    // framed these bytes (xml::ElementView::content_offset() is known). False when the bytes
    // are not one well-formed element, or not plain when said to be (what was visited before
    // stands).
    bool walk(std::string_view element, int max_depth, const Visit& visit, bool plain = false);

  private:
    bool walk_plain(std::string_view b, int max_depth, const Visit& visit);
    bool walk_with_expat(std::string_view element, int max_depth, const Visit& visit);
    std::string_view decoded(std::string_view raw);
    static void on_start(void* data, const char* name, const char** attributes);
    static void on_end(void* data, const char* name);

    XML_Parser parser_;
    const Visit* visit_ = nullptr;
    int depth_ = 0;
    int max_depth_ = 0;
    std::vector<WalkedAttribute> attributes_;   // one element's
    std::vector<std::string_view> namespaces_;  // the default namespace of each open element
    TextSlots decoded_;                         // values with references, one element's
};

}  // namespace xml
