#include "xml/stanza_scanner.hpp"

#include <cstdint>
#include <cstring>

#include "xml/tokens.hpp"

namespace xml {
namespace {

using namespace tokens;

// Past this many bytes in one unfinished token (a start tag, a CDATA section) or this many
// open elements, the element goes to expat: rescanning a token on every read would let a peer
// that sends it a byte at a time make the proxy work quadratically.
constexpr std::size_t kMaxPartialToken = 16 * 1024;
constexpr std::size_t kMaxDepth = 256;
// The duplicate check compares each attribute with those before it.
constexpr std::size_t kMaxAttributes = 64;
// The longest element kept as the model of repeat().
constexpr std::size_t kMaxRepeatModel = 8 * 1024;

constexpr std::string_view kXmlNamespace = "http://www.w3.org/XML/1998/namespace";

// An attribute value from `i` (just past its opening quote) to its closing `quote`, where `i`
// stops.
inline StanzaScanner::Step scan_value(std::string_view b, std::size_t& i, char quote,
                                      bool& has_references) {
    for (;;) {
        i = skip_plain_blocks<'<', '&', '\'', '"'>(b, i);
        if (i >= b.size()) return Step::more;
        const auto v = static_cast<unsigned char>(b[i]);
        if (v == static_cast<unsigned char>(quote)) return Step::ok;  // most often what stopped it
        if (kPlainValue[v]) {
            ++i;
        } else if (v == '\'' || v == '"') {
            ++i;
        } else if (v == '&') {
            std::uint32_t unused;
            if (Step step = scan_reference(b, i, unused); step != Step::ok) return step;
            has_references = true;
        } else if (v >= 0x80) {
            if (Step step = scan_utf8(b, i); step != Step::ok) return step;
        } else {
            return Step::unsure;  // '<', a control, or whitespace expat would normalize
        }
    }
}

}  // namespace

void StanzaScanner::reset() {
    repeat_to_ = kNoRepeat;  // the state below is no longer the remembered element's
    resume_ = 0;
    end_ = 0;
    stack_.clear();
    top_ = StartTag{};
    attributes_.clear();
    children_.clear();
}

StanzaScanner::Step StanzaScanner::scan_start_tag(std::string_view b, std::size_t& at,
                                                  StartTag& tag, bool top) {
    std::size_t i = at + 1;
    std::size_t colon;
    const std::size_t name_start = i;
    if (Step step = scan_name(b, i, colon); step != Step::ok) return step;
    tag.name = {name_start, i - name_start};
    tag.has_ns = false;
    if (colon != std::string_view::npos || starts_with_xml(tag.name.in(b))) return Step::unsure;
    tag_names_.clear();
    for (;;) {
        if (i >= b.size()) return Step::more;
        char c = b[i];
        if (c == '>' || c == '/') break;
        if (!is_space(static_cast<unsigned char>(c))) return Step::unsure;
        if (skip_spaces(b, i) != Step::ok) return Step::more;
        c = b[i];
        if (c == '>' || c == '/') break;

        const std::size_t attribute_start = i;
        if (Step step = scan_name(b, i, colon); step != Step::ok) return step;
        const Span name{attribute_start, i - attribute_start};
        const std::string_view name_text = name.in(b);
        bool xml_lang = false;
        bool xmlns = false;
        if (colon != std::string_view::npos) {
            if (name_text != "xml:lang") return Step::unsure;  // a prefix to resolve
            xml_lang = true;
        } else if (name_text == "xmlns") {
            xmlns = true;
        } else if (starts_with_xml(name_text)) {
            return Step::unsure;
        }
        if (tag_names_.size() >= kMaxAttributes) return Step::unsure;
        for (const Span& earlier : tag_names_) {
            if (earlier.in(b) == name_text) return Step::unsure;  // a duplicate
        }
        tag_names_.push_back(name);

        if (skip_spaces(b, i) != Step::ok) return Step::more;
        if (b[i] != '=') return Step::unsure;
        ++i;
        if (skip_spaces(b, i) != Step::ok) return Step::more;
        const char quote = b[i];
        if (quote != '\'' && quote != '"') return Step::unsure;
        ++i;
        const std::size_t value_start = i;
        bool has_references = false;
        if (Step step = scan_value(b, i, quote, has_references); step != Step::ok) return step;
        const Span value{value_start, i - value_start};
        ++i;  // the closing quote
        if (xmlns) {
            // Namespaces in XML 1.0 §3: undeclaring the default namespace and the reserved
            // names are left to expat, as are values that need resolving.
            const std::string_view uri = value.in(b);
            if (uri.empty() || has_references || uri.find("www.w3.org") != std::string_view::npos)
                return Step::unsure;
            tag.ns = value;
            tag.has_ns = true;
        } else if (top) {
            attributes_.push_back({name, value, xml_lang, has_references});
        }
    }
    if (b[i] == '/') {
        if (i + 1 >= b.size()) return Step::more;
        if (b[i + 1] != '>') return Step::unsure;
        tag.empty = true;
        at = i + 2;
    } else {
        tag.empty = false;
        at = i + 1;
    }
    return Step::ok;
}

StanzaScanner::Step StanzaScanner::scan_end_tag(std::string_view b, std::size_t& at) const {
    std::size_t i = at + 2;  // past "</"
    const std::string_view open = stack_.back().in(b);
    std::size_t colon;
    const std::size_t name_start = i;
    if (Step step = scan_name(b, i, colon); step != Step::ok) {
        // A name cut short may still turn out to be the right one.
        if (step == Step::more && open.starts_with(b.substr(name_start))) return Step::more;
        return Step::unsure;
    }
    if (b.substr(name_start, i - name_start) != open) return Step::unsure;
    if (skip_spaces(b, i) != Step::ok) return Step::more;
    if (b[i] != '>') return Step::unsure;
    at = i + 1;
    return Step::ok;
}

StanzaScanner::Verdict StanzaScanner::scan(std::string_view b) {
    std::size_t at = resume_;
    auto need_more = [&](std::size_t token_start) {
        resume_ = token_start;
        if (b.size() - token_start > kMaxPartialToken) return Verdict::unsure;
        return Verdict::need_more;
    };
    if (stack_.empty()) {
        attributes_.clear();
        Step step = scan_start_tag(b, at, top_, true);
        if (step == Step::more) return need_more(0);
        if (step == Step::unsure) return Verdict::unsure;
        top_.end = at;
        if (top_.empty) {
            end_ = at;
            return Verdict::complete;
        }
        stack_.push_back(top_.name);
    }
    for (;;) {
        Step step = scan_text(b, at);
        if (step == Step::more) {
            // Text is checked item by item: resume at the item that was cut short.
            return need_more(at);
        }
        if (step == Step::unsure) return Verdict::unsure;
        const std::size_t token_start = at;  // b[at] == '<'
        if (at + 1 >= b.size()) return need_more(token_start);
        const char next = b[at + 1];
        if (next == '/') {
            step = scan_end_tag(b, at);
            if (step == Step::more) return need_more(token_start);
            if (step == Step::unsure) return Verdict::unsure;
            stack_.pop_back();
            if (stack_.empty()) {
                end_ = at;
                return Verdict::complete;
            }
        } else if (next == '!') {
            constexpr std::string_view kOpen = "<![CDATA[";
            const std::string_view have = b.substr(at, kOpen.size());
            if (!kOpen.starts_with(have)) return Verdict::unsure;  // a comment or a DTD
            if (have.size() < kOpen.size()) return need_more(token_start);
            at += kOpen.size();
            step = scan_cdata(b, at);
            if (step == Step::more) return need_more(token_start);
            if (step == Step::unsure) return Verdict::unsure;
        } else if (is_name_start(static_cast<unsigned char>(next))) {
            StartTag tag;
            step = scan_start_tag(b, at, tag, false);
            if (step == Step::more) return need_more(token_start);
            if (step == Step::unsure) return Verdict::unsure;
            if (stack_.size() == 1) children_.push_back({tag.name, tag.ns, tag.has_ns});
            if (!tag.empty) {
                if (stack_.size() >= kMaxDepth) return Verdict::unsure;
                stack_.push_back(tag.name);
            }
        } else {
            return Verdict::unsure;  // a processing instruction, or not markup at all
        }
    }
}

void StanzaScanner::remember_for_repeats(std::string_view unit) {
    repeat_to_ = kNoRepeat;
    // Broadcast messages are short; a long element is not kept (a framer per peer keeps one).
    if (end_ > kMaxRepeatModel) return;
    for (std::size_t a = 0; a < attributes_.size(); ++a) {
        const ScannedAttribute& attribute = attributes_[a];
        if (attribute.xml_lang || attribute.name.in(unit) != "to") continue;
        const std::size_t value_end = attribute.value.offset + attribute.value.length;
        repeat_prefix_.assign(unit.substr(0, attribute.value.offset));
        repeat_suffix_.assign(unit.substr(value_end, end_ - value_end));
        repeat_to_ = a;
        return;
    }
}

std::size_t StanzaScanner::repeat(std::string_view unit) {
    if (repeat_to_ == kNoRepeat) return 0;
    const std::size_t prefix = repeat_prefix_.size(), suffix = repeat_suffix_.size();
    if (unit.size() < prefix + suffix ||
        std::memcmp(unit.data(), repeat_prefix_.data(), prefix) != 0)
        return 0;
    // The prefix ends with the value's opening quote.
    std::size_t value_end = prefix;
    bool has_references = false;
    if (scan_value(unit, value_end, repeat_prefix_.back(), has_references) != Step::ok ||
        unit.size() - value_end < suffix ||
        std::memcmp(unit.data() + value_end, repeat_suffix_.data(), suffix) != 0)
        return 0;
    // The remembered element's view, with this value: whatever lies after it moves with it.
    ScannedAttribute& to = attributes_[repeat_to_];
    const std::size_t old_end = to.value.offset + to.value.length;
    auto move = [prefix, old_end, value_end](Span& span) {
        // After the value (even an empty one) is past its closing quote.
        if (span.offset > prefix) span.offset = span.offset - old_end + value_end;
    };
    for (ScannedAttribute& attribute : attributes_) {
        move(attribute.name);
        move(attribute.value);
    }
    for (ScannedChild& child : children_) {
        move(child.name);
        move(child.ns);
    }
    move(top_.ns);
    top_.end = top_.end - old_end + value_end;
    to.value.length = value_end - prefix;
    to.has_references = has_references;
    end_ = value_end + suffix;
    return end_;
}

void StanzaScanner::fill(ElementView& view, std::string_view b,
                         std::string_view inherited_ns) const {
    view.reset();
    const std::string_view top_ns = top_.has_ns ? top_.ns.in(b) : inherited_ns;
    view.name = QName{top_ns, top_.name.in(b), {}};
    view.set_content_offset(top_.end);
    for (const ScannedAttribute& a : attributes_) {
        Attribute& attribute = view.add_attribute();
        attribute.raw_value = {a.value.offset, a.value.length};
        attribute.name =
            a.xml_lang ? QName{kXmlNamespace, "lang", "xml"} : QName{{}, a.name.in(b), {}};
        if (a.has_references) {
            std::string& decoded = view.new_kept();
            decode_value(a.value.in(b), decoded);
            attribute.value = decoded;
        } else {
            attribute.value = a.value.in(b);
        }
    }
    for (const ScannedChild& c : children_) {
        view.add_child() = QName{c.has_ns ? c.ns.in(b) : top_ns, c.name.in(b), {}};
    }
}

}  // namespace xml
