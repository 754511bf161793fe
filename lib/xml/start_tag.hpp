// Finds an attribute's value in the raw bytes of an element, so a stanza can be copied with
// one attribute changed without building a tree (the fan-out's copies differ only in `to`).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace xml {

struct ValueSpan {
    std::size_t offset;  // first byte of the value, after the opening quote
    std::size_t length;  // raw length, entity references not resolved
    char quote;          // ' or "
};

// The span of the un-prefixed attribute `name` in the start tag at the beginning of `raw`
// (which must be well-formed, as the framer guarantees). nullopt when absent.
std::optional<ValueSpan> find_attribute(std::string_view raw, std::string_view name);

// Where the start tag ends (one past its '>'), or npos.
std::size_t start_tag_end(std::string_view raw);

}  // namespace xml
