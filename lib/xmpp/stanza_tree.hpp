// A whole stanza as a libstrophe tree, for the rare path: forms, admin iqs, presences whose
// status codes matter. The hot path never builds one.
#pragma once

#include <strophe.h>

#include <optional>
#include <string>
#include <string_view>

#include "xmpp/tree_shape.hpp"

namespace xmpp {

// libstrophe needs a context for allocation only; one per process is enough.
xmpp_ctx_t* tree_context();

class StanzaTree {
  public:
    // Parses one stanza; nullopt when it is not one well-formed element, or when its tree
    // would exceed `limits` (then no tree is built: see tree_shape.hpp).
    static std::optional<StanzaTree> parse(std::string_view raw, const TreeLimits& limits = {});
    explicit StanzaTree(xmpp_stanza_t* adopted) : root_(adopted) {}
    StanzaTree(StanzaTree&& other) noexcept : root_(other.root_) { other.root_ = nullptr; }
    StanzaTree& operator=(StanzaTree&& other) noexcept;
    StanzaTree(const StanzaTree&) = delete;
    ~StanzaTree();

    xmpp_stanza_t* root() const { return root_; }
    std::string serialize() const;

  private:
    xmpp_stanza_t* root_;
};

// Small readers over libstrophe nodes; null-safe.
xmpp_stanza_t* child(xmpp_stanza_t* parent, const char* name, const char* ns);
std::string attribute(xmpp_stanza_t* element, const char* name);
std::string text_of(xmpp_stanza_t* element);

}  // namespace xmpp
