// A light view of one element: its name, namespace, attributes and the names of its
// children. Enough to route and classify a stanza without building a tree.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "xml/text_slots.hpp"

namespace xml {

// Names and values view the bytes the view was made from, or text the view keeps (keep()):
// valid while the view describes that element, and only while those bytes live.
struct QName {
    std::string_view ns;  // namespace URI, empty when none
    std::string_view local;
    std::string_view prefix;  // as written, empty for the default namespace
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
    std::string_view value;  // entity references resolved
    RawSpan raw_value;       // as written, between the quotes
};

class ElementView {
  public:
    ElementView() = default;
    // A copy would view the other's kept text; moving keeps it where it is.
    ElementView(const ElementView&) = delete;
    ElementView& operator=(const ElementView&) = delete;
    ElementView(ElementView&&) = default;
    ElementView& operator=(ElementView&&) = default;

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
    // A copy of `text` that lives until the next reset(): for names and values that are not
    // in the element's bytes as such (decoded, or from a parser's own buffers).
    std::string_view keep(std::string_view text);
    // An empty string kept likewise, to build such text in place (a value being decoded).
    std::string& new_kept() { return kept_.next(); }
    // This view, made to outlive the bytes it was built from.
    void copy_from(const ElementView& other);
    Attribute& add_attribute();
    QName& add_child();

  private:
    std::vector<Attribute> attributes_;
    std::size_t attribute_count_ = 0;
    std::vector<QName> children_;
    std::size_t child_count_ = 0;
    std::size_t content_offset_ = std::string_view::npos;
    TextSlots kept_;
};

}  // namespace xml
