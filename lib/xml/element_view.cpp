#include "xml/element_view.hpp"

namespace xml {

std::string_view ElementView::attribute(std::string_view local) const {
    for (const Attribute& a : attributes()) {
        if (a.name.ns.empty() && a.name.local == local) return a.value;
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
}

Attribute& ElementView::add_attribute() {
    if (attribute_count_ == attributes_.size()) attributes_.emplace_back();
    return attributes_[attribute_count_++];
}

QName& ElementView::add_child() {
    if (child_count_ == children_.size()) children_.emplace_back();
    return children_[child_count_++];
}

}  // namespace xml
