#include "xml/element_view.hpp"

namespace xml {

std::string_view ElementView::attribute(std::string_view local) const {
    for (const Attribute& a : attributes()) {
        if (a.name.ns.empty() && a.name.local == local) return a.value;
    }
    return {};
}

RawSpan ElementView::raw_attribute(std::string_view local) const {
    for (const Attribute& a : attributes()) {
        if (a.name.ns.empty() && a.name.local == local) return a.raw_value;
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
