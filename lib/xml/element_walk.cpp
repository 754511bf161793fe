#include "xml/element_walk.hpp"

#include <cstring>
#include <limits>

namespace xml {
namespace {

constexpr char kSeparator = '\x01';

}  // namespace

std::string_view WalkedElement::attribute(std::string_view name) const {
    for (const char** a = attributes; *a != nullptr; a += 2) {
        if (name == a[0]) return a[1];
    }
    return {};
}

ElementWalker::ElementWalker() : parser_(XML_ParserCreateNS("UTF-8", kSeparator)) {}

ElementWalker::~ElementWalker() {
    XML_ParserFree(parser_);
}

void ElementWalker::on_start(void* data, const char* name, const char** attributes) {
    auto* self = static_cast<ElementWalker*>(data);
    const int depth = self->depth_++;
    if (depth > self->max_depth_) return;
    const char* separator = std::strchr(name, kSeparator);
    WalkedElement element{depth, {}, name, attributes};
    if (separator != nullptr) {
        element.ns = std::string_view(name, separator - name);
        element.local = separator + 1;
    }
    (*self->visit_)(element);
}

void ElementWalker::on_end(void* data, const char*) {
    --static_cast<ElementWalker*>(data)->depth_;
}

bool ElementWalker::walk(std::string_view element, int max_depth,
                         const std::function<void(const WalkedElement&)>& visit) {
    if (element.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return false;
    // A reset parser has no handlers: they are set for every walk.
    XML_ParserReset(parser_, "UTF-8");
    XML_SetUserData(parser_, this);
    XML_SetElementHandler(parser_, &ElementWalker::on_start, &ElementWalker::on_end);
    visit_ = &visit;
    depth_ = 0;
    max_depth_ = max_depth;
    const bool ok = XML_Parse(parser_, element.data(), static_cast<int>(element.size()),
                              XML_TRUE) == XML_STATUS_OK;
    visit_ = nullptr;
    return ok;
}

}  // namespace xml
