#include "offline/disco_features.hpp"

#include <cstring>

#include "offline/tree_edit.hpp"

namespace offline {
namespace {

bool has_feature(xmpp_stanza_t* query, std::string_view var) {
    for (xmpp_stanza_t* c = xmpp_stanza_get_children(query); c != nullptr;
         c = xmpp_stanza_get_next(c)) {
        const char* name = xmpp_stanza_get_name(c);
        if (xmpp_stanza_is_tag(c) && name != nullptr && std::strcmp(name, "feature") == 0 &&
            xmpp::attribute(c, "var") == var) {
            return true;
        }
    }
    return false;
}

}  // namespace

bool add_features(xmpp_stanza_t* query, std::initializer_list<std::string_view> vars) {
    bool added = false;
    for (std::string_view var : vars) {
        if (has_feature(query, var)) continue;
        append_element(query, "feature", {{"var", var}});
        added = true;
    }
    return added;
}

}  // namespace offline
