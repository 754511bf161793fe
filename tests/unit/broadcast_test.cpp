// How a broadcast's copies are told apart from a new message: the key (content and attributes
// but `to`), and the byte comparison with the last copy that spares most copies the key.
#include "offline/broadcast.hpp"

#include <doctest/doctest.h>

#include <string>

#include "xml/standalone.hpp"
#include "xml/start_tag.hpp"

namespace {

std::string copy_to(const std::string& to, const std::string& body = "hi") {
    return "<message from='room@conference.localhost/alice' to='" + to +
           "' type='groupchat' id='m1'><body>" + body + "</body></message>";
}

xml::ElementView view_of(const std::string& raw) {
    xml::ElementView view;
    REQUIRE(xml::parse_standalone(raw, view));
    return view;
}

}  // namespace

TEST_CASE("broadcast: the scanner's spans are where the bytes say") {
    const std::string raw = copy_to("bob@localhost/phone");
    const xml::ElementView view = view_of(raw);
    CHECK(view.content_offset() == xml::start_tag_end(raw));
    const xml::RawSpan to = view.raw_attribute("to");
    REQUIRE(to.known());
    CHECK(raw.substr(to.offset, to.length) == "bob@localhost/phone");
    CHECK_FALSE(view.raw_attribute("absent").known());
}

TEST_CASE("broadcast: the key ignores `to` and attribute order, not the content") {
    const std::string a = copy_to("bob@localhost/phone");
    const std::string b =
        "<message type='groupchat' id='m1' to='carol@localhost/pc' "
        "from='room@conference.localhost/alice'><body>hi</body></message>";
    const std::string c = copy_to("bob@localhost/phone", "ho");
    CHECK(offline::broadcast_key(view_of(a), a) == offline::broadcast_key(view_of(b), b));
    CHECK(offline::broadcast_key(view_of(a), a) != offline::broadcast_key(view_of(c), c));
    // A view without the content's offset (built by expat) gives the same key.
    xml::ElementView without = view_of(a);
    without.set_content_offset(std::string::npos);
    CHECK(offline::broadcast_key(without, a) == offline::broadcast_key(view_of(a), a));
}

TEST_CASE("broadcast: the last copy matches the same bytes with another recipient only") {
    offline::LastBroadcastCopy last;
    const std::string first = copy_to("bob@localhost/phone");
    CHECK_FALSE(last.same_but_recipient(first, view_of(first).raw_attribute("to")));
    last.remember(first, view_of(first).raw_attribute("to"), "room@conference.localhost", 42);
    CHECK(last.room() == "room@conference.localhost");
    CHECK(last.key() == 42);

    auto matches = [&](const std::string& raw) {
        return last.same_but_recipient(raw, view_of(raw).raw_attribute("to"));
    };
    CHECK(matches(first));
    CHECK(matches(copy_to("carol@localhost/a-much-longer-resource")));
    CHECK(matches(copy_to("x@y/z")));
    CHECK_FALSE(matches(copy_to("carol@localhost/pc", "ho")));
    CHECK_FALSE(matches(copy_to("carol@localhost/pc", "hi!")));
    // The same bytes around another attribute's value are not the same message.
    CHECK_FALSE(
        matches("<message from='room@conference.localhost/alicia' to='bob@localhost/phone'"
                " type='groupchat' id='m1'><body>hi</body></message>"));
    CHECK_FALSE(
        matches("<message to='bob@localhost/phone' from='room@conference.localhost/alice' "
                "type='groupchat' id='m1'><body>hi</body></message>"));
    // An unknown span (a view expat built) never matches, and is not remembered.
    CHECK_FALSE(last.same_but_recipient(first, xml::RawSpan{}));
    last.remember(first, xml::RawSpan{}, "room@conference.localhost", 42);
    CHECK_FALSE(matches(first));
}

TEST_CASE("broadcast: the recipient set answers like a set, across growth and clears") {
    offline::RecipientSet set;
    CHECK(set.empty());
    CHECK_FALSE(set.contains(5));
    for (std::uint64_t round = 0; round < 3; ++round) {
        const std::uint64_t count = round == 1 ? 5000 : 40;
        for (std::uint64_t i = 0; i < count; ++i) CHECK(set.insert(i * 0x9e3779b97f4a7c15ull));
        for (std::uint64_t i = 0; i < count; ++i)
            CHECK_FALSE(set.insert(i * 0x9e3779b97f4a7c15ull));
        CHECK(set.size() == count);
        CHECK(set.contains(0));
        CHECK_FALSE(set.contains(count * 0x9e3779b97f4a7c15ull));
        set.clear();
        CHECK(set.empty());
        CHECK_FALSE(set.contains(0x9e3779b97f4a7c15ull));
    }
}

TEST_CASE(
    "broadcast: a copy continues the broadcast under way only for the same key and a new "
    "recipient") {
    offline::BroadcastTracker tracker;
    const std::string room = "room@conference.localhost";
    // Nothing under way: a copy continues nothing, and nothing is recorded.
    CHECK_FALSE(tracker.continues(room, 7, 1));
    CHECK(tracker.recipients_of(room) == nullptr);
    tracker.start_message(room, 7, 1);
    // The same message to others continues it, each counted once.
    CHECK(tracker.continues(room, 7, 2));
    CHECK(tracker.continues(room, 7, 3));
    CHECK(tracker.recipients_of(room)->size() == 3);
    // A recipient seen again (the same text sent again) or another key does not, and leaves
    // the set as it was until start_message starts the next message.
    CHECK_FALSE(tracker.continues(room, 7, 2));
    CHECK_FALSE(tracker.continues(room, 8, 4));
    CHECK(tracker.recipients_of(room)->size() == 3);
    tracker.start_message(room, 8, 4);
    CHECK(tracker.recipients_of(room)->size() == 1);
    CHECK(tracker.continues(room, 8, 5));
    // A forgotten room's next copy starts anew.
    tracker.forget(room);
    CHECK_FALSE(tracker.continues(room, 8, 6));
    CHECK(tracker.rooms() == 0);
}
