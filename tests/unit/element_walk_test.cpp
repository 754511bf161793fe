// The element walker: the loop over a plain stanza's tags must see what expat sees, and give
// up rather than guess on what is not plain.
#include "xml/element_walk.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

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
