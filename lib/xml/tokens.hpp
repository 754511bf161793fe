// The lexical pieces of XML 1.0 that the stanza scanner vouches for without expat: character
// classes, UTF-8, references, names, text and CDATA. Each answers ok, more (the bytes end
// inside the item) or unsure (expat must judge).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace xml::tokens {

enum class Step { ok, more, unsure };

inline bool is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
inline bool is_name_start(unsigned char c) {
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
inline constexpr std::array<bool, 256> kNameChars = make_name_chars();
inline bool is_name_char(unsigned char c) {
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
inline constexpr std::array<bool, 256> kPlainText = make_plain_text();

// Attribute values: no literal whitespace controls (expat would normalize them to spaces), no
// '<' (not allowed), and the quotes are looked at by the caller.
constexpr std::array<bool, 256> make_plain_value() {
    std::array<bool, 256> table{};
    for (int c = 0x20; c < 0x7f; ++c) table[c] = true;
    table['<'] = table['&'] = table['\''] = table['"'] = false;
    return table;
}
inline constexpr std::array<bool, 256> kPlainValue = make_plain_value();

// The characters the scanner vouches for (XML 1.0 §2.2 Char, narrowed).
bool is_vouched_char(std::uint32_t cp);
// One UTF-8 encoded character at `at` (its first byte is >= 0x80).
Step scan_utf8(std::string_view b, std::size_t& at);
// A predefined entity or character reference at `at` (b[at] == '&'); its code point in `cp`.
Step scan_reference(std::string_view b, std::size_t& at, std::uint32_t& cp);
// An ASCII name with at most one colon, not at either end. `colon` is its offset or npos.
// (Inline, as the two below: a stanza has a dozen names and more spaces, and the calls cost
// more than the short loops.)
inline Step scan_name(std::string_view b, std::size_t& at, std::size_t& colon) {
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

// Whether a name starts with the reserved "xml" (XML 1.0 §2.3; Namespaces §3): only the ones
// the scanner knows the meaning of are vouched for.
inline bool starts_with_xml(std::string_view name) {
    return name.size() >= 3 && (name[0] | 0x20) == 'x' && (name[1] | 0x20) == 'm' &&
           (name[2] | 0x20) == 'l';
}

inline Step skip_spaces(std::string_view b, std::size_t& at) {
    while (at < b.size() && is_space(static_cast<unsigned char>(b[at]))) ++at;
    return at < b.size() ? Step::ok : Step::more;
}
// Text between tags, up to the next '<'. On Step::more, `at` is the start of the item cut short.
Step scan_text(std::string_view b, std::size_t& at);
// A CDATA section's content and its "]]>", from just after "<![CDATA[".
Step scan_cdata(std::string_view b, std::size_t& at);
// A value already checked by the scanner, its references resolved.
void decode_value(std::string_view raw, std::string& out);

}  // namespace xml::tokens
