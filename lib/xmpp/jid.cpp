// Splitting follows RFC 7622 §3.1; each part is then prepared with the IDNA2003-era
// stringprep profiles (RFC 3920 appendices A and B, RFC 3491) that Prosody uses, so that
// this proxy and the server it sits beside agree on when two JIDs are the same.
#include "xmpp/jid.hpp"

#include <arpa/inet.h>
#include <idn-free.h>
#include <idna.h>
#include <netinet/in.h>
#include <stringprep.h>

#include <algorithm>
#include <cstring>

namespace xmpp {
namespace {

// RFC 7622 §3.2.1, §3.3.1, §3.4.1: each part is 1 to 1023 octets once prepared.
constexpr std::size_t kMaxPartBytes = 1023;

// Unassigned code points are allowed, as in a stringprep "query" and as Prosody does:
// flags 0 is what the libidn stringprep_* macros pass.
constexpr Stringprep_profile_flags kPrepFlags = static_cast<Stringprep_profile_flags>(0);

// One part through one profile; nullopt when the profile rejects it or the result is empty
// or too long.
std::optional<std::string> prepare_part(std::string_view part, const Stringprep_profile* profile) {
    // The C API reads a NUL-terminated string: an embedded NUL would silently shorten it.
    if (part.find('\0') != std::string_view::npos) return std::nullopt;
    // stringprep rewrites in place, so the buffer must hold both the input and any result
    // short enough to be accepted; a longer result fails with STRINGPREP_TOO_SMALL_BUFFER.
    std::string buffer(std::max(part.size(), kMaxPartBytes) + 1, '\0');
    part.copy(buffer.data(), part.size());
    if (stringprep(buffer.data(), buffer.size(), kPrepFlags, profile) != STRINGPREP_OK) {
        return std::nullopt;
    }
    buffer.resize(std::strlen(buffer.c_str()));
    if (buffer.empty() || buffer.size() > kMaxPartBytes) return std::nullopt;
    return buffer;
}

// RFC 3490 §3.1 counts U+3002 IDEOGRAPHIC FULL STOP as a label separator; nameprep keeps it
// (and maps U+FF0E and U+FF61 onto '.' and U+3002), so fold it to '.' for comparison.
void fold_label_separators(std::string& domain) {
    static constexpr std::string_view kIdeographicFullStop = "\xE3\x80\x82";
    if (domain.find(kIdeographicFullStop) == std::string::npos) return;
    std::string folded;
    folded.reserve(domain.size());
    for (std::size_t at = 0; at < domain.size();) {
        if (domain.compare(at, kIdeographicFullStop.size(), kIdeographicFullStop) == 0) {
            folded += '.';
            at += kIdeographicFullStop.size();
        } else {
            folded += domain[at++];
        }
    }
    domain = std::move(folded);
}

// RFC 7622 §3.2: an IP-literal domainpart is an IPv6 address in brackets (RFC 3986 §3.2.2).
bool is_ipv6_literal(const std::string& domain) {
    if (domain.size() < 3 || domain.front() != '[' || domain.back() != ']') return false;
    const std::string address = domain.substr(1, domain.size() - 2);
    in6_addr parsed{};
    return inet_pton(AF_INET6, address.c_str(), &parsed) == 1;
}

// A host name: non-empty labels, each accepted by IDNA ToASCII with the STD3 rules (letters,
// digits and hyphens once in ASCII form, no leading or trailing hyphen, at most 63 octets).
bool is_host_name(const std::string& domain) {
    std::size_t label_start = 0;
    while (true) {
        const auto dot = domain.find('.', label_start);
        const auto label_end = dot == std::string::npos ? domain.size() : dot;
        if (label_end == label_start) return false;
        if (dot == std::string::npos) break;
        label_start = dot + 1;
    }
    char* ascii = nullptr;
    const int rc =
        idna_to_ascii_8z(domain.c_str(), &ascii, IDNA_ALLOW_UNASSIGNED | IDNA_USE_STD3_ASCII_RULES);
    idn_free(ascii);
    return rc == IDNA_SUCCESS;
}

}  // namespace

std::string Jid::bare() const {
    return local.empty() ? domain : local + '@' + domain;
}

std::string Jid::full() const {
    return resource.empty() ? bare() : bare() + '/' + resource;
}

std::optional<std::string> prepare_domain(std::string_view text) {
    auto domain = prepare_part(text, stringprep_nameprep);
    if (!domain) return std::nullopt;
    fold_label_separators(*domain);
    // RFC 7622 §3.2: a final label separator is stripped before the JID is compared or used.
    if (domain->back() == '.') domain->pop_back();
    if (domain->empty()) return std::nullopt;
    if (domain->front() == '[') {
        if (!is_ipv6_literal(*domain)) return std::nullopt;
    } else if (!is_host_name(*domain)) {
        return std::nullopt;
    }
    return domain;
}

namespace {

// What the shortcuts make of each byte: its lower case, or 0 when it needs the reference
// path (a localpart takes letters, digits and . - _ +; a domain letters, digits, - and .).
struct AsciiTables {
    char localpart[256] = {};
    char domain[256] = {};  // a label's bytes and the '.' between labels
    constexpr AsciiTables() {
        for (int c = 0; c < 256; ++c) {
            const bool lower = c >= 'a' && c <= 'z';
            const bool upper = c >= 'A' && c <= 'Z';
            const bool digit = c >= '0' && c <= '9';
            const char folded = static_cast<char>(upper ? c - 'A' + 'a' : c);
            if (lower || upper || digit || c == '-' || c == '.') domain[c] = folded;
            if (lower || upper || digit || c == '-' || c == '.' || c == '_' || c == '+')
                localpart[c] = folded;
        }
    }
};
constexpr AsciiTables kAscii;

// Most JIDs on a MUC link are plain ASCII. For the conservative character sets below the
// profiles reduce to ASCII case folding (RFC 3454 table B.2) or nothing, and the IDNA STD3
// check to letters, digits and inner hyphens; anything else goes through libidn, so both
// paths always agree (tests/unit/jid_test.cpp holds them to each other). Each appends its
// prepared part to `out`, or leaves `out` as it was and returns false.
bool ascii_localpart(std::string_view part, std::string& out) {
    if (part.empty() || part.size() > kMaxPartBytes) return false;
    const std::size_t base = out.size();
    out.resize(base + part.size());
    char* to = out.data() + base;
    for (const char c : part) {
        const char folded = kAscii.localpart[static_cast<unsigned char>(c)];
        if (folded == 0) {
            out.resize(base);
            return false;
        }
        *to++ = folded;
    }
    return true;
}

// RFC 5890's host name shape, for a domain already folded: labels of 1 to 63 bytes, no hyphen
// at either end of one.
bool labels_fit(std::string_view domain) {
    for (std::size_t start = 0;;) {
        std::size_t end = domain.find('.', start);
        if (end == std::string_view::npos) end = domain.size();
        if (end == start || end - start > 63 || domain[start] == '-' || domain[end - 1] == '-')
            return false;
        if (end == domain.size()) return true;
        start = end + 1;
    }
}

bool ascii_domainpart(std::string_view part, std::string& out) {
    if (!part.empty() && part.back() == '.') part.remove_suffix(1);
    // Long names take the reference path, which knows every limit.
    if (part.empty() || part.size() > 253) return false;
    const std::size_t base = out.size();
    out.resize(base + part.size());
    char* to = out.data() + base;
    // Fold every byte first, without a branch per byte (this runs for most stanzas' JIDs),
    // then check the labels.
    bool ok = true;
    for (std::size_t i = 0; i < part.size(); ++i) {
        const char folded = kAscii.domain[static_cast<unsigned char>(part[i])];
        to[i] = folded;
        ok &= folded != 0;
    }
    if (ok && labels_fit(part)) return true;
    out.resize(base);
    return false;
}

// Whether every byte of `part` is one the table keeps as it is (so the part is prepared).
bool unchanged_by(const char (&table)[256], std::string_view part) {
    bool same = true;
    for (const char c : part) {
        const char folded = table[static_cast<unsigned char>(c)];
        same &= folded == c && folded != 0;
    }
    return same;
}

// Printable ASCII only: resourceprep leaves it as it is.
bool printable_ascii(std::string_view part) {
    bool printable = true;
    for (const char c : part) printable &= c >= 0x20 && c <= 0x7e;
    return printable;
}

bool ascii_resourcepart(std::string_view part, std::string& out) {
    if (part.empty() || part.size() > kMaxPartBytes || !printable_ascii(part)) return false;
    out.append(part);
    return true;
}

// RFC 7622 §3.1: the first '/' starts the resourcepart (which may itself hold '/' and '@');
// in what precedes it, the first '@' ends the localpart. A separator with nothing on its far
// side is an error, never an absent part.
struct JidText {
    std::optional<std::string_view> local;
    std::string_view domain;
    std::optional<std::string_view> resource;
};

JidText split(std::string_view text) {
    JidText parts;
    if (const auto slash = text.find('/'); slash != std::string_view::npos) {
        parts.resource = text.substr(slash + 1);
        text = text.substr(0, slash);
    }
    if (const auto at = text.find('@'); at != std::string_view::npos) {
        parts.local = text.substr(0, at);
        text = text.substr(at + 1);
    }
    parts.domain = text;
    return parts;
}

template <typename Fast, typename Reference>
bool prepare_into(std::string_view part, std::string& out, bool use_fast_path, Fast fast,
                  Reference reference) {
    if (use_fast_path && fast(part, out)) return true;
    std::optional<std::string> prepared = reference(part);
    if (!prepared) return false;
    out = std::move(*prepared);
    return true;
}

std::optional<Jid> parse(std::string_view text, bool use_fast_path) {
    const JidText parts = split(text);
    const std::optional<std::string_view>& local_text = parts.local;
    const std::optional<std::string_view>& resource_text = parts.resource;
    text = parts.domain;

    Jid jid;
    if (local_text && !prepare_into(*local_text, jid.local, use_fast_path, ascii_localpart,
                                    [](std::string_view part) {
                                        return prepare_part(part, stringprep_xmpp_nodeprep);
                                    })) {
        return std::nullopt;
    }
    if (!prepare_into(text, jid.domain, use_fast_path, ascii_domainpart, prepare_domain)) {
        return std::nullopt;
    }
    if (resource_text && !prepare_into(*resource_text, jid.resource, use_fast_path,
                                       ascii_resourcepart, [](std::string_view part) {
                                           return prepare_part(part, stringprep_xmpp_resourceprep);
                                       })) {
        return std::nullopt;
    }
    return jid;
}

}  // namespace

std::optional<Jid> parse_jid(std::string_view text) {
    return parse(text, true);
}

std::optional<Jid> parse_jid_with_libidn(std::string_view text) {
    return parse(text, false);
}

namespace {

// The length of the bare part when `text` is already what the ASCII shortcuts would make of
// it (lower case, nothing to strip): JIDs on a MUC link nearly always arrive so, and are then
// checked in one pass and copied whole.
std::optional<std::size_t> already_prepared(std::string_view text) {
    const JidText parts = split(text);
    if (parts.resource && (parts.resource->empty() || parts.resource->size() > kMaxPartBytes ||
                           !printable_ascii(*parts.resource)))
        return std::nullopt;
    if (parts.local && (parts.local->empty() || parts.local->size() > kMaxPartBytes ||
                        !unchanged_by(kAscii.localpart, *parts.local)))
        return std::nullopt;
    const std::string_view domain = parts.domain;
    if (domain.empty() || domain.size() > 253 || !unchanged_by(kAscii.domain, domain) ||
        !labels_fit(domain)) {
        return std::nullopt;
    }
    return parts.local ? parts.local->size() + 1 + domain.size() : domain.size();
}

}  // namespace

PreparedJidParts prepared_parts(std::string_view prepared, std::size_t bare_length) {
    PreparedJidParts parts;
    parts.bare = prepared.substr(0, bare_length);
    if (bare_length < prepared.size()) parts.resource = prepared.substr(bare_length + 1);
    const std::size_t at = parts.bare.find('@');
    parts.local = at == std::string_view::npos ? std::string_view() : parts.bare.substr(0, at);
    parts.domain = at == std::string_view::npos ? parts.bare : parts.bare.substr(at + 1);
    return parts;
}

std::optional<std::size_t> prepare_jid_into(std::string_view text, std::string& out) {
    if (const std::optional<std::size_t> bare_length = already_prepared(text)) {
        out.assign(text);
        return bare_length;
    }
    const JidText parts = split(text);
    out.clear();
    bool ascii = !parts.local || ascii_localpart(*parts.local, out);
    if (ascii && parts.local) out += '@';
    ascii = ascii && ascii_domainpart(parts.domain, out);
    const std::size_t bare_length = out.size();
    if (ascii && parts.resource) {
        out += '/';
        ascii = ascii_resourcepart(*parts.resource, out);
    }
    if (ascii) return bare_length;
    const std::optional<Jid> jid = parse(text, true);
    if (!jid) return std::nullopt;
    out = jid->full();
    return jid->is_bare() ? out.size() : out.size() - jid->resource.size() - 1;
}

}  // namespace xmpp
