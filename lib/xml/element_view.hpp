// A light view of one element: its name, namespace, attributes and the names of its
// children. Enough to route and classify a stanza without building a tree.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xml {

struct QName {
    std::string ns;  // namespace URI, empty when none
    std::string local;
    std::string prefix;  // as written, empty for the default namespace
};

// Where something lies in the bytes the view was made from; `offset` is npos when unknown
// (a view built by expat, or by hand).
struct RawSpan {
    std::size_t offset = std::string_view::npos;
    std::size_t length = 0;
    bool known() const { return offset != std::string_view::npos; }
};

struct Attribute {
    QName name;
    std::string value;  // entity references resolved
    RawSpan raw_value;  // as written, between the quotes
};

class ElementView {
  public:
    QName name;

    std::span<const Attribute> attributes() const { return {attributes_.data(), attribute_count_}; }
    std::span<const QName> children() const { return {children_.data(), child_count_}; }

    // The value of the un-namespaced attribute `local`, or empty when absent.
    std::string_view attribute(std::string_view local) const;
    bool has_child(std::string_view local, std::string_view ns) const;
    // The raw span of the un-namespaced attribute `local`'s value (unknown when absent).
    RawSpan raw_attribute(std::string_view local) const;
    // Where the element's content begins in its bytes (one past the start tag's '>'), or npos
    // when unknown: what follows the start tag without scanning it again.
    std::size_t content_offset() const { return content_offset_; }
    void set_content_offset(std::size_t offset) { content_offset_ = offset; }

    // Slots are reused from one element to the next so a steady stream allocates nothing.
    void reset();
    Attribute& add_attribute();
    QName& add_child();

  private:
    std::vector<Attribute> attributes_;
    std::size_t attribute_count_ = 0;
    std::vector<QName> children_;
    std::size_t child_count_ = 0;
    std::size_t content_offset_ = std::string_view::npos;
};

}  // namespace xml
