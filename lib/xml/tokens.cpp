#include "xml/tokens.hpp"

namespace xml::tokens {

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

namespace {

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

}  // namespace

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

}  // namespace xml::tokens
