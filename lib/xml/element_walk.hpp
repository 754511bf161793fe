// Reads the elements of one complete element (a stanza's raw bytes) in document order,
// without building a tree: for a consumer that needs a few attributes a level or two down
// (a MUC presence's status codes). Expat does the parsing (namespaces included); its parser
// is kept and reset between elements, so a read costs no parser set-up.
#pragma once

#include <expat.h>

#include <functional>
#include <string_view>

namespace xml {

struct WalkedElement {
    int depth;            // the element walked is 0
    std::string_view ns;  // empty when none is declared in the bytes walked
    std::string_view local;
    const char** attributes;  // expat's: name, value, ..., null; names "ns\x01local" when prefixed
    // The value of the un-namespaced attribute `name`, or empty.
    std::string_view attribute(std::string_view name) const;
};

class ElementWalker {
  public:
    ElementWalker();
    ~ElementWalker();
    ElementWalker(const ElementWalker&) = delete;
    ElementWalker& operator=(const ElementWalker&) = delete;

    // Calls `visit` for each element of `element` down to `max_depth`. False when the bytes are
    // not one well-formed element on their own (what was visited before the error stands).
    bool walk(std::string_view element, int max_depth,
              const std::function<void(const WalkedElement&)>& visit);

  private:
    static void on_start(void* data, const char* name, const char** attributes);
    static void on_end(void* data, const char* name);

    XML_Parser parser_;
    const std::function<void(const WalkedElement&)>* visit_ = nullptr;
    int depth_ = 0;
    int max_depth_ = 0;
};

}  // namespace xml
