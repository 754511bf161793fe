// Parses one complete element on its own (the rare path: a stanza a filter rewrote).
#pragma once

#include <string_view>

#include "xml/element_view.hpp"

namespace xml {

// Fills `view` from `bytes`, which must be exactly one element in the component namespace.
// Returns false when it is not.
bool parse_standalone(std::string_view bytes, ElementView& view);

}  // namespace xml
