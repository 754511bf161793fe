// The element walker: the loop over a plain stanza's tags must see what expat sees, and give
// up rather than guess on what is not plain.
#include "xml/element_walk.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "support/framer_differential.hpp"
#include "xml/framer.hpp"

namespace {

// "depth ns local [name=value ...]" per element visited.
std::vector<std::string> walked(xml::ElementWalker& walker, const std::string& raw, bool plain,
                                int max_depth = 3, bool* ok = nullptr) {
    std::vector<std::string> seen;
    const bool result = walker.walk(
        raw, max_depth,
        [&](const xml::WalkedElement& e) {
            std::string line =
                std::to_string(e.depth) + " " + std::string(e.ns) + " " + std::string(e.local);
            for (const xml::WalkedAttribute& a : e.attributes)
                line += " " + std::string(a.name) + "=" + std::string(a.value);
            seen.push_back(line);
        },
        plain);
    if (ok != nullptr) *ok = result;
    return seen;
}

const std::string kLeave =
    "<presence from='room@conference.localhost/n&amp;ick' to='u@localhost/r' "
    "type=\"unavailable\"><status>bye &lt;3 <![CDATA[</x> <status code='1'/>]]> > </status>"
    "<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none' "
    "nick='new &apos;one&apos;'/><status code='303'/><status code = \"110\" /></x>"
    "<x xmlns='jabber:x:other'><status code='301'/></x></presence>";

}  // namespace

TEST_CASE("element walk: the plain loop and expat see the same elements") {
    xml::ElementWalker walker;
    const auto plain = walked(walker, kLeave, true);
    CHECK(plain == walked(walker, kLeave, false));
    REQUIRE(plain.size() == 8);
    CHECK(plain[0] ==
          "0  presence from=room@conference.localhost/n&ick to=u@localhost/r type=unavailable");
    CHECK(plain[2] == "1 http://jabber.org/protocol/muc#user x");
    CHECK(plain[3] ==
          "2 http://jabber.org/protocol/muc#user item affiliation=none role=none nick=new 'one'");
    CHECK(plain[5] == "2 http://jabber.org/protocol/muc#user status code=110");
    CHECK(plain[7] == "2 jabber:x:other status code=301");
    // Deeper elements are not visited; the walker is reused from one element to the next.
    CHECK(walked(walker, kLeave, true, 1).size() == 4);
    CHECK(walked(walker, "<presence/>", true) == std::vector<std::string>{"0  presence"});
    CHECK(walked(walker, "<presence/>", false) == std::vector<std::string>{"0  presence"});
}

TEST_CASE("element walk: what is not plain, or not whole, is refused") {
    xml::ElementWalker walker;
    bool ok = true;
    walked(walker, "<presence><p:x xmlns:p='urn:x'/></presence>", true, 3, &ok);
    CHECK_FALSE(ok);
    walked(walker, "<presence><!-- c --></presence>", true, 3, &ok);
    CHECK_FALSE(ok);
    walked(walker, "<presence><!-- c --></presence>", true, 3, &ok);
    CHECK_FALSE(ok);
    // expat reads the prefix for what it is.
    const auto prefixed =
        walked(walker, "<presence><p:x xmlns:p='urn:x'/></presence>", false, 3, &ok);
    CHECK(ok);
    REQUIRE(prefixed.size() == 2);
    CHECK(prefixed[1] == "1 urn:x x");
    for (const char* cut :
         {"<presence><x>", "<presence a='1", "<presence a=1/>", "<presence", "<"}) {
        const std::string text = cut;
        CAPTURE(text);
        walked(walker, cut, true, 3, &ok);
        CHECK_FALSE(ok);
        walked(walker, cut, false, 3, &ok);
        CHECK_FALSE(ok);
    }
}

namespace {

// The stanzas of a stream as the framer hands them on, and whether its scanner framed each.
struct StanzaCollector : xml::FrameSink {
    std::vector<std::pair<std::string, bool>> stanzas;
    void on_stream_open(const xml::ElementView&, std::string_view) override {}
    void on_stanza(const xml::ElementView& top, std::string_view raw) override {
        stanzas.emplace_back(std::string(raw), top.content_offset() != std::string_view::npos);
    }
    void on_whitespace(std::string_view) override {}
    void on_stream_close(std::string_view) override {}
};

// What both walks must agree on: expat names a prefixed attribute by its namespace, the plain
// loop never meets one but xml:lang, so those are left out.
std::vector<std::string> comparable(std::vector<std::string> lines) {
    for (std::string& line : lines) {
        std::string kept;
        std::size_t at = 0;
        while (at < line.size()) {
            std::size_t next = line.find(' ', at + 1);
            if (next == std::string::npos) next = line.size();
            const std::string word = line.substr(at, next - at);
            if (word.find(':') == std::string::npos || word.find('=') == std::string::npos ||
                word.find(':') > word.find('='))
                kept += word;
            at = next;
        }
        line = kept;
    }
    return lines;
}

}  // namespace

TEST_CASE("element walk: on generated stanzas the scanner framed, the loop sees what expat sees") {
    std::mt19937 random(20261205);
    xml::ElementWalker walker;
    std::size_t compared = 0;
    for (int round = 0; round < 3000; ++round) {
        StanzaCollector sink;
        xml::Framer framer(sink, xml::FramerLimits{});
        std::string stream =
            "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
            "xmlns='jabber:component:accept'>";
        stream += test_support::random_stanza(random);
        framer.feed(stream);
        for (const auto& [raw, plain] : sink.stanzas) {
            if (!plain) continue;
            ++compared;
            bool plain_ok = false;
            bool expat_ok = false;
            const auto by_loop = walked(walker, raw, true, 4, &plain_ok);
            const auto by_expat = walked(walker, raw, false, 4, &expat_ok);
            CAPTURE(raw);
            CHECK(plain_ok == expat_ok);
            CHECK(comparable(by_loop) == comparable(by_expat));
        }
    }
    CHECK(compared > 1000);
}
