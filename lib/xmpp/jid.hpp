// JIDs (RFC 7622 syntax, prepared with the stringprep profiles Prosody uses: nodeprep,
// nameprep, resourceprep from libidn), so that two spellings of one JID compare equal.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace xmpp {

struct Jid {
    std::string local;     // may be empty
    std::string domain;    // never empty
    std::string resource;  // may be empty

    std::string bare() const;  // local@domain or domain
    std::string full() const;  // bare/resource or bare
    bool is_bare() const { return resource.empty(); }
    bool operator==(const Jid&) const = default;
};

// Splits and prepares a JID; nullopt when it is not a valid JID (empty parts, prep failure,
// a part over 1023 bytes).
std::optional<Jid> parse_jid(std::string_view text);

// The same, every part through libidn: the reference parse_jid's ASCII shortcuts are held to.
std::optional<Jid> parse_jid_with_libidn(std::string_view text);

// parse_jid writing the prepared JID (local@domain/resource) into `out`, whose buffer is
// reused: the length of its bare part, or nullopt when `text` is not a valid JID (`out` is
// then unspecified). No allocation once `out` is large enough, for an ASCII JID.
std::optional<std::size_t> prepare_jid_into(std::string_view text, std::string& out);

// nameprep + syntax check of a domainpart alone (for config `domain`).
std::optional<std::string> prepare_domain(std::string_view text);

// The parts of the JID prepare_jid_into() wrote into `prepared` (`bare_length` as it returned
// it): views into `prepared`, empty when absent. A prepared localpart holds no '@', so only the
// bare part is searched, once.
struct PreparedJidParts {
    std::string_view bare;
    std::string_view local;
    std::string_view domain;
    std::string_view resource;
};
PreparedJidParts prepared_parts(std::string_view prepared, std::size_t bare_length);

// The bare part of a JID already prepared (parse_jid's output): everything before the first
// '/' (a prepared local part or domain holds none). No copy.
inline std::string_view bare_part(std::string_view prepared_jid) {
    return prepared_jid.substr(0, prepared_jid.find('/'));
}

}  // namespace xmpp
