#include "xml/element_walk.hpp"

#include <cstring>
#include <limits>

#include "xml/tokens.hpp"

namespace xml {
namespace {

constexpr char kSeparator = '\x01';

// Where the name starting at `at` ends: at a space, '/', '>' or '=' (or the end).
std::size_t name_end(std::string_view b, std::size_t at) {
    while (at < b.size() && !tokens::is_space(static_cast<unsigned char>(b[at])) && b[at] != '/' &&
           b[at] != '>' && b[at] != '=')
        ++at;
    return at;
}

void skip_spaces(std::string_view b, std::size_t& at) {
    while (at < b.size() && tokens::is_space(static_cast<unsigned char>(b[at]))) ++at;
}

}  // namespace

std::string_view WalkedElement::attribute(std::string_view name) const {
    for (const WalkedAttribute& a : attributes) {
        if (a.name == name) return a.value;
    }
    return {};
}

ElementWalker::ElementWalker() : parser_(XML_ParserCreateNS("UTF-8", kSeparator)) {}

ElementWalker::~ElementWalker() {
    XML_ParserFree(parser_);
}

bool ElementWalker::walk(std::string_view element, int max_depth, const Visit& visit, bool plain) {
    return plain ? walk_plain(element, max_depth, visit)
                 : walk_with_expat(element, max_depth, visit);
}

std::string_view ElementWalker::decoded(std::string_view raw) {
    if (raw.find('&') == std::string_view::npos) return raw;
    std::string& slot = decoded_.next();
    tokens::decode_value(raw, slot);
    return slot;
}

// The scanner checked these bytes against everything expat would: this loop only finds the
// tags, and gives up (false) on anything a plain element does not hold.
bool ElementWalker::walk_plain(std::string_view b, int max_depth, const Visit& visit) {
    namespaces_.clear();
    std::size_t at = 0;
    while (true) {
        const std::size_t open = b.find('<', at);
        if (open == std::string_view::npos || open + 1 >= b.size()) return false;
        at = open + 1;
        if (b[at] == '/') {
            const std::size_t close = b.find('>', at);
            if (close == std::string_view::npos || namespaces_.empty()) return false;
            namespaces_.pop_back();
            if (namespaces_.empty()) return true;
            at = close + 1;
            continue;
        }
        if (b[at] == '!') {
            if (b.compare(open, 9, "<![CDATA[") != 0) return false;
            const std::size_t end = b.find("]]>", open + 9);
            if (end == std::string_view::npos) return false;
            at = end + 3;
            continue;
        }
        const std::size_t name_start = at;
        at = name_end(b, at);
        const std::string_view name = b.substr(name_start, at - name_start);
        if (name.empty() || name.find(':') != std::string_view::npos) return false;
        std::string_view ns = namespaces_.empty() ? std::string_view() : namespaces_.back();
        attributes_.clear();
        decoded_.forget_all();
        bool empty_element = false;
        while (true) {
            skip_spaces(b, at);
            if (at >= b.size()) return false;
            if (b[at] == '>') break;
            if (b[at] == '/') {
                if (at + 1 >= b.size() || b[at + 1] != '>') return false;
                empty_element = true;
                ++at;
                break;
            }
            const std::size_t attribute_start = at;
            at = name_end(b, at);
            const std::string_view attribute = b.substr(attribute_start, at - attribute_start);
            skip_spaces(b, at);
            if (attribute.empty() || at >= b.size() || b[at] != '=') return false;
            ++at;
            skip_spaces(b, at);
            if (at >= b.size() || (b[at] != '\'' && b[at] != '"')) return false;
            const std::size_t value_end = b.find(b[at], at + 1);
            if (value_end == std::string_view::npos) return false;
            const std::string_view value = decoded(b.substr(at + 1, value_end - at - 1));
            at = value_end + 1;
            if (attribute == "xmlns") {
                ns = value;
            } else if (attribute.starts_with("xmlns:")) {
                return false;  // a prefix: not plain
            } else {
                attributes_.push_back({attribute, value});
            }
        }
        ++at;  // past '>'
        const int depth = static_cast<int>(namespaces_.size());
        if (depth <= max_depth) visit(WalkedElement{depth, ns, name, attributes_});
        if (empty_element) {
            if (depth == 0) return true;
        } else {
            namespaces_.push_back(ns);
        }
    }
}

void ElementWalker::on_start(void* data, const char* name, const char** attributes) {
    auto* self = static_cast<ElementWalker*>(data);
    const int depth = self->depth_++;
    if (depth > self->max_depth_) return;
    self->attributes_.clear();
    for (const char** a = attributes; *a != nullptr; a += 2)
        self->attributes_.push_back({a[0], a[1]});
    const char* separator = std::strchr(name, kSeparator);
    WalkedElement element{depth, {}, name, self->attributes_};
    if (separator != nullptr) {
        element.ns = std::string_view(name, separator - name);
        element.local = std::string_view(separator + 1);
        // With a prefix, expat appends it after a second separator.
        if (const auto prefix = element.local.find(kSeparator); prefix != std::string_view::npos)
            element.local = element.local.substr(0, prefix);
    }
    (*self->visit_)(element);
}

void ElementWalker::on_end(void* data, const char*) {
    --static_cast<ElementWalker*>(data)->depth_;
}

bool ElementWalker::walk_with_expat(std::string_view element, int max_depth, const Visit& visit) {
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
