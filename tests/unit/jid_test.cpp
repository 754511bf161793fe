#include "xmpp/jid.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

using xmpp::Jid;
using xmpp::parse_jid;
using xmpp::prepare_domain;

TEST_CASE("jid: localpart and domainpart are case-folded, the resourcepart is kept") {
    const auto jid = parse_jid("Bob@Example.ORG/Phone");
    REQUIRE(jid);
    CHECK(jid->local == "bob");
    CHECK(jid->domain == "example.org");
    CHECK(jid->resource == "Phone");
    CHECK(jid->bare() == "bob@example.org");
    CHECK(jid->full() == "bob@example.org/Phone");
    CHECK_FALSE(jid->is_bare());
}

TEST_CASE("jid: two spellings of one JID compare equal") {
    CHECK(parse_jid("ROOM@Conference.Example.org") == parse_jid("room@conference.example.org"));
    CHECK(parse_jid("room@conference.example.org.") == parse_jid("room@conference.example.org"));
}

TEST_CASE("jid: bare and full forms") {
    const auto domain_only = parse_jid("example.org");
    REQUIRE(domain_only);
    CHECK(domain_only->local.empty());
    CHECK(domain_only->is_bare());
    CHECK(domain_only->bare() == "example.org");
    CHECK(domain_only->full() == "example.org");

    const auto domain_resource = parse_jid("example.org/admin");
    REQUIRE(domain_resource);
    CHECK(domain_resource->bare() == "example.org");
    CHECK(domain_resource->full() == "example.org/admin");

    const auto bare = parse_jid("room@conference.example.org");
    REQUIRE(bare);
    CHECK(bare->is_bare());
    CHECK(bare->full() == "room@conference.example.org");
}

TEST_CASE("jid: the first '/' starts the resource, which may hold '/' and '@'") {
    const auto jid = parse_jid("room@muc.example.org/nick/with@at/and/slashes");
    REQUIRE(jid);
    CHECK(jid->local == "room");
    CHECK(jid->domain == "muc.example.org");
    CHECK(jid->resource == "nick/with@at/and/slashes");

    // An '@' after the first '/' belongs to the resource, not the localpart.
    const auto no_local = parse_jid("muc.example.org/user@host");
    REQUIRE(no_local);
    CHECK(no_local->local.empty());
    CHECK(no_local->domain == "muc.example.org");
    CHECK(no_local->resource == "user@host");
}

TEST_CASE("jid: resourceprep keeps case and spaces but maps compatibility characters") {
    const auto jid = parse_jid("room@muc.example.org/The Nick");
    REQUIRE(jid);
    CHECK(jid->resource == "The Nick");
    // U+FB01 LATIN SMALL LIGATURE FI becomes "fi" under NFKC.
    const auto ligature = parse_jid("room@muc.example.org/\xEF\xAC\x81sh");
    REQUIRE(ligature);
    CHECK(ligature->resource == "fish");
}

TEST_CASE("jid: non-ASCII parts are prepared") {
    const auto jid = parse_jid("J\xC3\x96RG@M\xC3\x9CNCHEN.example/x");  // JÖRG@MÜNCHEN.example
    REQUIRE(jid);
    CHECK(jid->local == "j\xC3\xB6rg");
    CHECK(jid->domain == "m\xC3\xBCnchen.example");
}

TEST_CASE("jid: an IPv6 literal domainpart") {
    const auto jid = parse_jid("user@[::1]/r");
    REQUIRE(jid);
    CHECK(jid->domain == "[::1]");
    CHECK_FALSE(parse_jid("user@[not-an-address]"));
}

TEST_CASE("jid: a separator with nothing on its far side is invalid") {
    CHECK_FALSE(parse_jid(""));
    CHECK_FALSE(parse_jid("@example.org"));
    CHECK_FALSE(parse_jid("@x"));
    CHECK_FALSE(parse_jid("x/"));
    CHECK_FALSE(parse_jid("user@"));
    CHECK_FALSE(parse_jid("user@/r"));
    CHECK_FALSE(parse_jid("/r"));
    CHECK_FALSE(parse_jid("."));
}

TEST_CASE("jid: a second '@' before the resource lands in the domainpart and is rejected") {
    CHECK_FALSE(parse_jid("a@b@c"));
    CHECK_FALSE(parse_jid("a@b@c/r"));
}

TEST_CASE("jid: malformed domainparts") {
    CHECK_FALSE(parse_jid("user@exa mple.org"));
    CHECK_FALSE(parse_jid("user@example..org"));
    CHECK_FALSE(parse_jid("user@.example.org"));
    CHECK_FALSE(parse_jid("user@example.org.."));
    CHECK_FALSE(parse_jid("user@-example.org"));
    CHECK_FALSE(parse_jid("user@exa_mple.org"));
    CHECK_FALSE(parse_jid("user@" + std::string(64, 'a') + ".org"));
}

TEST_CASE("jid: characters nodeprep prohibits in a localpart") {
    CHECK_FALSE(parse_jid("a\"b@example.org"));
    CHECK_FALSE(parse_jid("a&b@example.org"));
    CHECK_FALSE(parse_jid("a'b@example.org"));
    CHECK_FALSE(parse_jid("a:b@example.org"));
    CHECK_FALSE(parse_jid("a<b@example.org"));
    CHECK_FALSE(parse_jid("a>b@example.org"));
    CHECK_FALSE(parse_jid("a b@example.org"));
    // '/' and '@' cannot reach the localpart through parse_jid (they split first), so a
    // localpart holding them is always the split above: "a/b@x" is domain "a", resource "b@x".
    const auto split = parse_jid("a/b@example.org");
    REQUIRE(split);
    CHECK(split->local.empty());
    CHECK(split->domain == "a");
    CHECK(split->resource == "b@example.org");
    // Control characters are prohibited in every part.
    CHECK_FALSE(parse_jid("a\x01@example.org"));
    CHECK_FALSE(parse_jid("user@example.org/a\x7F"));
}

TEST_CASE("jid: a part may be at most 1023 bytes once prepared") {
    const std::string longest(1023, 'a');
    const std::string too_long(1024, 'a');
    CHECK(parse_jid(longest + "@example.org"));
    CHECK_FALSE(parse_jid(too_long + "@example.org"));
    CHECK(parse_jid("user@example.org/" + longest));
    CHECK_FALSE(parse_jid("user@example.org/" + too_long));
    // Preparation can grow a part past the limit: U+FDFA (3 bytes) becomes an 18-letter
    // phrase (33 bytes) under NFKC, so 40 of them are 120 bytes in and 1320 bytes out.
    std::string ligatures;
    for (int i = 0; i < 40; ++i) ligatures += "\xEF\xB7\xBA";
    CHECK_FALSE(parse_jid("user@example.org/" + ligatures));
    const auto fewer = parse_jid("user@example.org/" + ligatures.substr(0, 20 * 3));
    REQUIRE(fewer);
    CHECK(fewer->resource.size() == 20 * 33);
}

TEST_CASE("jid: input that is not valid text") {
    CHECK_FALSE(parse_jid(std::string("a\0b@example.org", 15)));
    CHECK_FALSE(parse_jid("\xFF@example.org"));
}

TEST_CASE("prepare_domain: folds case, strips one final dot, rejects what is not a domain") {
    CHECK(prepare_domain("Conference.Example.ORG") == "conference.example.org");
    CHECK(prepare_domain("conference.example.org.") == "conference.example.org");
    CHECK(prepare_domain("localhost") == "localhost");
    CHECK(prepare_domain("127.0.0.1") == "127.0.0.1");
    CHECK(prepare_domain("[::1]") == "[::1]");
    const std::string ideographic_full_stop = "\xE3\x80\x82";  // U+3002 separates labels
    CHECK(prepare_domain("a" + ideographic_full_stop + "b") == "a.b");
    CHECK_FALSE(prepare_domain(""));
    CHECK_FALSE(prepare_domain("."));
    CHECK_FALSE(prepare_domain("example.org.."));
    CHECK_FALSE(prepare_domain("user@example.org"));
    CHECK_FALSE(prepare_domain("example.org/r"));
    CHECK_FALSE(prepare_domain("exa mple.org"));
    CHECK_FALSE(prepare_domain(std::string(1024, 'a')));
}

namespace {

// prepare_jid_into, into a buffer holding an earlier JID, gives parse_jid's full form and
// the length of its bare part.
void check_prepared_into(const std::string& text) {
    static std::string buffer = "left@over.example/from before";
    const std::optional<xmpp::Jid> expected = xmpp::parse_jid(text);
    const std::optional<std::size_t> bare_length = xmpp::prepare_jid_into(text, buffer);
    REQUIRE(bare_length.has_value() == expected.has_value());
    if (!expected) return;
    CHECK(buffer == expected->full());
    CHECK(buffer.substr(0, *bare_length) == expected->bare());
    const xmpp::PreparedJidParts parts = xmpp::prepared_parts(buffer, *bare_length);
    CHECK(parts.bare == expected->bare());
    CHECK(parts.local == expected->local);
    CHECK(parts.domain == expected->domain);
    CHECK(parts.resource == expected->resource);
}

}  // namespace

TEST_CASE("jid: the ASCII shortcuts give libidn's answers") {
    // Characters around every edge of the shortcuts: case, the separators, what nodeprep
    // prohibits, controls, space, brackets, non-ASCII letters and label separators.
    const std::vector<std::string> pieces = {"a",
                                             "Z",
                                             "0",
                                             "9",
                                             ".",
                                             "-",
                                             "_",
                                             "+",
                                             " ",
                                             "\"",
                                             "&",
                                             "'",
                                             ":",
                                             "<",
                                             ">",
                                             "@",
                                             "/",
                                             "[",
                                             "]",
                                             "\t",
                                             "\x7f",
                                             "~",
                                             "xn--",
                                             "\xc3\xa9",
                                             "\xc3\x9f",
                                             "\xe3\x80\x82",
                                             "\xef\xbc\x8e",
                                             "\xc2\xa0",
                                             "\xe2\x80\x8b",
                                             "::1",
                                             "room",
                                             "conference",
                                             "localhost",
                                             "Example",
                                             "COM"};
    std::uint64_t state = 0x9e3779b97f4a7c15ull;
    auto next = [&] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    for (int i = 0; i < 20000; ++i) {
        std::string text;
        const int length = static_cast<int>(next() % 12);
        for (int j = 0; j < length; ++j) text += pieces[next() % pieces.size()];
        CAPTURE(text);
        CHECK(xmpp::parse_jid(text) == xmpp::parse_jid_with_libidn(text));
        check_prepared_into(text);
    }
    for (const std::string& text : std::vector<std::string>{"u17x3@conference.localhost/phone",
                                                            "Room@Conference.Localhost/Nick Name",
                                                            "a@b.",
                                                            "a@b..",
                                                            "a@-b",
                                                            "a@b-",
                                                            "a@b-.c",
                                                            "a@xn--abc.example",
                                                            "a@xn--.x",
                                                            "a@" + std::string(63, 'x') + ".com",
                                                            "a@" + std::string(64, 'x') + ".com",
                                                            std::string(1023, 'n') + "@x",
                                                            std::string(1024, 'n') + "@x",
                                                            "x/" + std::string(1024, 'r'),
                                                            "@x",
                                                            "x@",
                                                            "x/",
                                                            "[::1]",
                                                            "user@[::1]/r",
                                                            "a@b/\x7f",
                                                            "a@b/ "}) {
        CAPTURE(text);
        CHECK(xmpp::parse_jid(text) == xmpp::parse_jid_with_libidn(text));
        check_prepared_into(text);
    }
}

TEST_CASE("jid: bare_part of a prepared JID, without a copy") {
    CHECK(xmpp::bare_part("bob@localhost/phone") == "bob@localhost");
    CHECK(xmpp::bare_part("bob@localhost/a/b") == "bob@localhost");
    CHECK(xmpp::bare_part("bob@localhost") == "bob@localhost");
    CHECK(xmpp::bare_part("conference.localhost") == "conference.localhost");
    const std::string full = "bob@localhost/phone";
    CHECK(xmpp::bare_part(full).data() == full.data());
}
