#include "xml/stanza_scanner.hpp"

#include <array>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace xml {
namespace {

using Step = StanzaScanner::Step;

// Past this many bytes in one unfinished token (a start tag, a CDATA section) or this many
// open elements, the element goes to expat: rescanning a token on every read would let a peer
// that sends it a byte at a time make the proxy work quadratically.
constexpr std::size_t kMaxPartialToken = 16 * 1024;
constexpr std::size_t kMaxDepth = 256;
// The duplicate check compares each attribute with those before it.
constexpr std::size_t kMaxAttributes = 64;

constexpr std::string_view kXmlNamespace = "http://www.w3.org/XML/1998/namespace";

bool is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_name_start(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
constexpr std::array<bool, 256> make_name_chars() {
    std::array<bool, 256> table{};
    for (int c = 0; c < 256; ++c) {
        table[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                   (c >= '0' && c <= '9') || c == '-' || c == '.';
    }
    return table;
}
constexpr std::array<bool, 256> kNameChars = make_name_chars();
bool is_name_char(unsigned char c) {
    return kNameChars[c];
}

// Skips printable ASCII (0x20-0x7E) but for the `special` bytes, 16 bytes at a time; returns
// where the first byte that needs a look of its own is, or where fewer than 16 bytes are
// left. Such runs carry most of a stanza's bytes (its text and attribute values).
template <char... special>
std::size_t skip_plain_blocks(std::string_view b, std::size_t at) {
#if defined(__SSE2__)
    const __m128i below_space = _mm_set1_epi8(0x1F);
    const __m128i del = _mm_set1_epi8(0x7F);
    while (at + 16 <= b.size()) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.data() + at));
        // Signed compare: bytes >= 0x80 count as negative, so only 0x20-0x7F pass.
        __m128i fine = _mm_cmpgt_epi8(v, below_space);
        __m128i stop = _mm_cmpeq_epi8(v, del);
        ((stop = _mm_or_si128(stop, _mm_cmpeq_epi8(v, _mm_set1_epi8(special)))), ...);
        fine = _mm_andnot_si128(stop, fine);
        const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(fine));
        if (mask != 0xFFFF) return at + static_cast<std::size_t>(__builtin_ctz(~mask));
        at += 16;
    }
#endif
    return at;
}

// Character data bytes that need no second look in text: printable ASCII but for the
// delimiters '<', '&', ']' (for "]]>"), and the three whitespace controls.
constexpr std::array<bool, 256> make_plain_text() {
    std::array<bool, 256> table{};
    for (int c = 0x20; c < 0x7f; ++c) table[c] = true;
    table['<'] = table['&'] = table[']'] = false;
    table['\t'] = table['\n'] = table['\r'] = true;
    return table;
}
constexpr std::array<bool, 256> kPlainText = make_plain_text();

// Attribute values: no literal whitespace controls (expat would normalize them to spaces), no
// '<' (not allowed), and the quotes are looked at by the caller.
constexpr std::array<bool, 256> make_plain_value() {
    std::array<bool, 256> table{};
    for (int c = 0x20; c < 0x7f; ++c) table[c] = true;
    table['<'] = table['&'] = table['\''] = table['"'] = false;
    return table;
}
constexpr std::array<bool, 256> kPlainValue = make_plain_value();

// The characters the scanner vouches for (XML 1.0 §2.2 Char, narrowed: the C1 controls, DEL
// and the non-characters are left to expat's judgement).
bool is_vouched_char(std::uint32_t cp) {
    if (cp < 0x20) return cp == 0x9 || cp == 0xA || cp == 0xD;
    if (cp < 0x7F) return true;
    if (cp <= 0x9F) return false;
    if (cp < 0xD800) return true;
    if (cp < 0xE000) return false;
    if (cp >= 0xFDD0 && cp <= 0xFDEF) return false;
    if ((cp & 0xFFFE) == 0xFFFE) return false;
    return cp <= 0x10FFFF;
}

// One UTF-8 encoded character at `at` (its first byte is >= 0x80).
Step scan_utf8(std::string_view b, std::size_t& at) {
    const auto lead = static_cast<unsigned char>(b[at]);
    std::size_t length;
    std::uint32_t cp;
    if (lead < 0xC2) return Step::unsure;  // a continuation byte, or an overlong two-byte form
    if (lead < 0xE0) {
        length = 2;
        cp = lead & 0x1F;
    } else if (lead < 0xF0) {
        length = 3;
        cp = lead & 0x0F;
    } else if (lead < 0xF5) {
        length = 4;
        cp = lead & 0x07;
    } else {
        return Step::unsure;
    }
    for (std::size_t i = 1; i < length; ++i) {
        if (at + i >= b.size()) return Step::more;
        const auto next = static_cast<unsigned char>(b[at + i]);
        if ((next & 0xC0) != 0x80) return Step::unsure;
        cp = (cp << 6) | (next & 0x3F);
    }
    // Overlong forms are refused by their length, not just their value.
    const std::uint32_t shortest = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
    if (cp < shortest || !is_vouched_char(cp)) return Step::unsure;
    at += length;
    return Step::ok;
}

// A reference at `at` (b[at] == '&'): one of the five predefined entities (XML 1.0 §4.6) or a
// character reference (§4.1). Anything else (an undeclared entity is a restricted-XML error)
// is expat's to judge.
Step scan_reference(std::string_view b, std::size_t& at, std::uint32_t& cp) {
    std::size_t i = at + 1;
    if (i >= b.size()) return Step::more;
    if (b[i] == '#') {
        ++i;
        if (i >= b.size()) return Step::more;
        const bool hex = b[i] == 'x';
        if (hex) ++i;
        std::uint32_t value = 0;
        std::size_t digits = 0;
        for (;; ++i) {
            if (i >= b.size()) return Step::more;
            const char c = b[i];
            if (c == ';') break;
            std::uint32_t digit;
            if (c >= '0' && c <= '9') {
                digit = static_cast<std::uint32_t>(c - '0');
            } else if (hex && c >= 'a' && c <= 'f') {
                digit = static_cast<std::uint32_t>(c - 'a' + 10);
            } else if (hex && c >= 'A' && c <= 'F') {
                digit = static_cast<std::uint32_t>(c - 'A' + 10);
            } else {
                return Step::unsure;
            }
            if (++digits > 7) return Step::unsure;
            value = value * (hex ? 16 : 10) + digit;
        }
        if (digits == 0 || !is_vouched_char(value)) return Step::unsure;
        cp = value;
        at = i + 1;
        return Step::ok;
    }
    std::size_t j = i;
    for (;; ++j) {
        if (j >= b.size()) return Step::more;
        if (b[j] == ';') break;
        if (!is_name_start(static_cast<unsigned char>(b[j])) || j - i >= 4) return Step::unsure;
    }
    const std::string_view name = b.substr(i, j - i);
    if (name == "amp") {
        cp = '&';
    } else if (name == "lt") {
        cp = '<';
    } else if (name == "gt") {
        cp = '>';
    } else if (name == "quot") {
        cp = '"';
    } else if (name == "apos") {
        cp = '\'';
    } else {
        return Step::unsure;
    }
    at = j + 1;
    return Step::ok;
}

// An ASCII name with at most one colon, not at either end. `colon` is its offset or npos.
Step scan_name(std::string_view b, std::size_t& at, std::size_t& colon) {
    colon = std::string_view::npos;
    if (at >= b.size()) return Step::more;
    if (!is_name_start(static_cast<unsigned char>(b[at]))) return Step::unsure;
    for (++at;; ++at) {
        if (at >= b.size()) return Step::more;
        const auto c = static_cast<unsigned char>(b[at]);
        if (is_name_char(c)) continue;
        if (c != ':') return Step::ok;
        if (colon != std::string_view::npos) return Step::unsure;
        colon = at;
        if (at + 1 >= b.size()) return Step::more;
        if (!is_name_start(static_cast<unsigned char>(b[at + 1]))) return Step::unsure;
    }
}

// Names starting with "xml" are reserved (XML 1.0 §2.3; Namespaces §3): only the ones the
// scanner knows the meaning of are vouched for.
bool starts_with_xml(std::string_view name) {
    return name.size() >= 3 && (name[0] | 0x20) == 'x' && (name[1] | 0x20) == 'm' &&
           (name[2] | 0x20) == 'l';
}

Step skip_spaces(std::string_view b, std::size_t& at) {
    while (at < b.size() && is_space(static_cast<unsigned char>(b[at]))) ++at;
    return at < b.size() ? Step::ok : Step::more;
}

// Text between tags, up to the next '<'. On Step::more, `at` is the start of the item cut short.
Step scan_text(std::string_view b, std::size_t& at) {
    const std::size_t size = b.size();
    while (at < size) {
        at = skip_plain_blocks<'<', '&', ']'>(b, at);
        if (at >= size) break;
        const auto c = static_cast<unsigned char>(b[at]);
        if (kPlainText[c]) {
            ++at;
            continue;
        }
        if (c == '<') return Step::ok;
        if (c == '&') {
            std::uint32_t unused;
            Step step = scan_reference(b, at, unused);
            if (step != Step::ok) return step;
        } else if (c == ']') {
            // "]]>" may not appear in text (XML 1.0 §2.4).
            if (at + 1 >= size) return Step::more;
            if (b[at + 1] != ']') {
                ++at;
                continue;
            }
            if (at + 2 >= size) return Step::more;
            if (b[at + 2] == '>') return Step::unsure;
            ++at;
        } else if (c >= 0x80) {
            Step step = scan_utf8(b, at);
            if (step != Step::ok) return step;
        } else {
            return Step::unsure;  // a control character, or DEL
        }
    }
    return Step::more;
}

// A CDATA section's content and its "]]>", from just after "<![CDATA[".
Step scan_cdata(std::string_view b, std::size_t& at) {
    const std::size_t size = b.size();
    while (at < size) {
        const auto c = static_cast<unsigned char>(b[at]);
        if (c == ']') {
            // Each byte is judged as soon as it is here, as expat does.
            if (at + 1 >= size) return Step::more;
            if (b[at + 1] != ']') {
                ++at;
                continue;
            }
            if (at + 2 >= size) return Step::more;
            if (b[at + 2] == '>') {
                at += 3;
                return Step::ok;
            }
            ++at;
        } else if (c >= 0x80) {
            Step step = scan_utf8(b, at);
            if (step != Step::ok) return step;
        } else if (c >= 0x20 ? c != 0x7F : is_space(c)) {
            ++at;
        } else {
            return Step::unsure;
        }
    }
    return Step::more;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// A value already checked by the scanner, its references resolved.
void decode_value(std::string_view raw, std::string& out) {
    out.clear();
    std::size_t at = 0;
    while (at < raw.size()) {
        std::size_t amp = raw.find('&', at);
        if (amp == std::string_view::npos) {
            out.append(raw.substr(at));
            return;
        }
        out.append(raw.substr(at, amp - at));
        std::uint32_t cp = 0;
        at = amp;
        scan_reference(raw, at, cp);
        append_utf8(out, cp);
    }
}

}  // namespace

void StanzaScanner::reset() {
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
        for (;;) {
            i = skip_plain_blocks<'<', '&', '\'', '"'>(b, i);
            if (i >= b.size()) return Step::more;
            const auto v = static_cast<unsigned char>(b[i]);
            if (kPlainValue[v]) {
                ++i;
            } else if (v == static_cast<unsigned char>(quote)) {
                break;
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

void StanzaScanner::fill(ElementView& view, std::string_view b,
                         std::string_view inherited_ns) const {
    view.reset();
    const std::string_view top_ns = top_.has_ns ? top_.ns.in(b) : inherited_ns;
    view.name.ns.assign(top_ns);
    view.name.local.assign(top_.name.in(b));
    view.name.prefix.clear();
    for (const ScannedAttribute& a : attributes_) {
        Attribute& attribute = view.add_attribute();
        if (a.xml_lang) {
            attribute.name.ns.assign(kXmlNamespace);
            attribute.name.local.assign("lang");
            attribute.name.prefix.assign("xml");
        } else {
            attribute.name.ns.clear();
            attribute.name.local.assign(a.name.in(b));
            attribute.name.prefix.clear();
        }
        if (a.has_references) {
            decode_value(a.value.in(b), attribute.value);
        } else {
            attribute.value.assign(a.value.in(b));
        }
    }
    for (const ScannedChild& c : children_) {
        QName& child = view.add_child();
        child.ns.assign(c.has_ns ? c.ns.in(b) : top_ns);
        child.local.assign(c.name.in(b));
        child.prefix.clear();
    }
}

}  // namespace xml
