#include "xml/element_view.hpp"

namespace xml {

namespace {

// Every stanza's attributes are looked up by name several times over, and their names are short
// and mostly differ in their first byte ("to", "id", "from", "type"): that byte is compared
// before a memcmp call is made.
bool is_named(const Attribute& a, std::string_view local) {
    return a.name.ns.empty() && a.name.local.size() == local.size() && !local.empty() &&
           a.name.local.front() == local.front() && a.name.local == local;
}

}  // namespace

std::string_view ElementView::attribute(std::string_view local) const {
    for (const Attribute& a : attributes()) {
        if (is_named(a, local)) return a.value;
    }
    return {};
}

RawSpan ElementView::raw_attribute(std::string_view local) const {
    for (const Attribute& a : attributes()) {
        if (is_named(a, local)) return a.raw_value;
    }
    return {};
}

bool ElementView::has_child(std::string_view local, std::string_view ns) const {
    for (const QName& c : children()) {
        if (c.local == local && c.ns == ns) return true;
    }
    return false;
}

void ElementView::reset() {
    attribute_count_ = 0;
    child_count_ = 0;
    content_offset_ = std::string_view::npos;
    kept_.forget_all();
}

std::string_view ElementView::keep(std::string_view text) {
    if (text.empty()) return {};
    std::string& slot = kept_.next();
    slot.assign(text);
    return slot;
}

void ElementView::copy_from(const ElementView& other) {
    reset();
    content_offset_ = other.content_offset_;
    auto copy_name = [this](const QName& from, QName& to) {
        to.ns = keep(from.ns);
        to.local = keep(from.local);
        to.prefix = keep(from.prefix);
    };
    copy_name(other.name, name);
    for (const Attribute& a : other.attributes()) {
        Attribute& attribute = add_attribute();
        copy_name(a.name, attribute.name);
        attribute.value = keep(a.value);
        attribute.raw_value = a.raw_value;
    }
    for (const QName& c : other.children()) copy_name(c, add_child());
}

Attribute& ElementView::add_attribute() {
    if (attribute_count_ == attributes_.size()) attributes_.emplace_back();
    Attribute& slot = attributes_[attribute_count_++];
    slot.raw_value = RawSpan{};
    return slot;
}

QName& ElementView::add_child() {
    if (child_count_ == children_.size()) children_.emplace_back();
    return children_[child_count_++];
}

}  // namespace xml
