// Notice delivery (offline.delivery "notice" and "auto"), mentions and the notices' text: what
// a member on a stock server gets instead of a copy their server would bounce.
#include "offline/notices.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "offline/message_gist.hpp"
#include "support/delivery_harness.hpp"

namespace {

using xmpp::Decision;
using xmpp::Direction;

constexpr const char* kRoom = "room@conference.localhost";

class Harness : public test_support::RoomHarness {
  public:
    using RoomHarness::RoomHarness;

    // alice says `body` (the broadcast's copy to alice's desk); what went to absent members.
    std::vector<std::string> say(const std::string& id, const std::string& body, long long at_ms,
                                 const std::string& extra = "") {
        from_muc(
            {"<message from='" + std::string(kRoom) + "/alice' to='alice@localhost/desk' " +
             "type='groupchat' id='" + id + "'><body>" + body + "</body>" + extra + "</message>"},
            at_ms);
        return injected();
    }
};

offline::Options notices(std::int64_t interval_s = 0) {
    offline::Options options;
    options.delivery = offline::Delivery::notice;
    options.notice.min_interval = std::chrono::seconds(interval_s);
    return options;
}

std::string body_of(const std::string& stanza) {
    const auto start = stanza.find("<body>");
    const auto end = stanza.find("</body>");
    REQUIRE(start != std::string::npos);
    REQUIRE(end != std::string::npos);
    return stanza.substr(start + 6, end - start - 6);
}

std::string id_of(const std::string& stanza) {
    const auto start = stanza.find(" id='") + 5;
    return stanza.substr(start, stanza.find('\'', start) - start);
}

std::string bounce(const std::string& from, const std::string& id,
                   const std::string& condition = "service-unavailable") {
    return "<message type='error' from='" + from + "' to='room@conference.localhost/alice' id='" +
           id + "'><error type='cancel'><" + condition +
           " xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>";
}

}  // namespace

TEST_CASE("notice: from the room's bare JID, type chat, a fresh id, the text, kept out of MAM") {
    Harness h(notices());
    h.opt_in("bob@localhost", "bob");
    h.join("alice@localhost/desk", "alice");
    const auto sent = h.say("m1", "Are you there? &lt;3", 0);
    REQUIRE(sent.size() == 1);
    const std::string& notice = sent[0];
    CHECK(
        notice.starts_with("<message from='room@conference.localhost' to='bob@localhost' "
                           "type='chat' id='muc-offline-proxy-notice-"));
    CHECK(body_of(notice) == "alice in room@conference.localhost: Are you there? &lt;3");
    CHECK(notice.ends_with("</body><no-permanent-store xmlns='urn:xmpp:hints'/></message>"));
    CHECK(h.delivery->counters().notices_sent == 1);
    CHECK(h.delivery->counters().copies_sent == 0);
    // The original message went on to alice, unchanged.
    REQUIRE_FALSE(h.out.empty());
    CHECK(h.out[0].how == Decision::Kind::forward);

    const auto next = h.say("m2", "again", 10);
    REQUIRE(next.size() == 1);
    CHECK(id_of(next[0]) != id_of(notice));
}

TEST_CASE("notice: type normal; no excerpt with excerpt_chars 0; long text cut at characters") {
    offline::Options options = notices();
    options.notice.type = offline::NoticeType::normal;
    options.notice.excerpt_chars = 0;
    Harness h(options);
    h.opt_in("bob@localhost", "bob");
    auto sent = h.say("m1", "secret plans", 0);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].find(" type='normal' ") != std::string::npos);
    CHECK(body_of(sent[0]) == "alice in room@conference.localhost");

    options.notice.excerpt_chars = 5;
    Harness cut(options);
    cut.opt_in("bob@localhost", "bob");
    sent = cut.say("m1", "  h\xC3\xA9llo\n\n world ", 0);  // héllo: 5 characters, 6 bytes
    REQUIRE(sent.size() == 1);
    CHECK(body_of(sent[0]) == "alice in room@conference.localhost: h\xC3\xA9llo…");
    CHECK(offline::excerpt("  two\n\twords  ", 100) == "two words");
    CHECK(offline::excerpt("exactly", 7) == "exactly");
    CHECK(offline::excerpt("exactly!", 7) == "exactly…");
}

TEST_CASE("notice: an encrypted message is announced, its fallback text never quoted") {
    Harness h(notices());
    h.opt_in("bob@localhost", "bob");
    auto sent = h.say("m1", "I sent you an OMEMO encrypted message but your client doesn't…", 0,
                      "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'/>"
                      "<payload>Zm9v</payload></encrypted>");
    REQUIRE(sent.size() == 1);
    CHECK(body_of(sent[0]) == "alice in room@conference.localhost: [encrypted message]");
    sent = h.say("m2", "This message is encrypted", 10,
                 "<openpgp xmlns='urn:xmpp:openpgp:0'>YmFy</openpgp>");
    REQUIRE(sent.size() == 1);
    CHECK(body_of(sent[0]).ends_with(": [encrypted message]"));
}

TEST_CASE(
    "notice: one per interval, the next one counts what it stands for; back in the room "
    "starts afresh") {
    Harness h(notices(300));
    h.opt_in("bob@localhost", "bob");
    REQUIRE(h.say("m1", "first", 0).size() == 1);
    CHECK(h.say("m2", "second", 1000).empty());
    CHECK(h.say("m3", "third", 2000).empty());
    CHECK(h.delivery->counters().notices_suppressed == 2);
    auto sent = h.say("m4", "fourth", 301000);
    REQUIRE(sent.size() == 1);
    CHECK(body_of(sent[0]) ==
          "3 new messages in room@conference.localhost, last from alice: fourth");
    CHECK(h.say("m5", "fifth", 302000).empty());

    // bob comes back (and reads), leaves again: the next message notifies at once.
    h.join("bob@localhost/phone", "bob");
    h.leave("bob@localhost/phone", "bob");
    sent = h.say("m6", "sixth", 303000);
    REQUIRE(sent.size() == 1);
    CHECK(body_of(sent[0]) == "alice in room@conference.localhost: sixth");
    CHECK(h.delivery->counters().notices_sent == 3);
}

TEST_CASE("notice: a mention always gets its own notice, whatever the interval") {
    Harness h(notices(300));
    h.opt_in("bob@localhost", "bob");
    REQUIRE(h.say("m1", "first", 0).size() == 1);
    auto sent = h.say("m2", "Bob, lunch?", 1000);
    REQUIRE(sent.size() == 1);
    CHECK(body_of(sent[0]) == "alice mentioned you in room@conference.localhost: Bob, lunch?");
    CHECK(h.say("m3", "third", 2000).empty());
}

TEST_CASE("only_mentions: copies only for a reference to the member or their nick as a word") {
    offline::Options options;
    options.only_mentions = true;
    Harness h(options);
    h.opt_in("bob@localhost", "bob");
    h.opt_in("carol@localhost", "Carol");
    CHECK(h.say("m1", "nobody here", 0).empty());
    CHECK(h.say("m2", "bobby and carolina are not them", 10).empty());
    auto sent = h.say("m3", "ask BOB.", 20);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].find("to='bob@localhost'") != std::string::npos);
    CHECK(sent[0].find("type='groupchat'") != std::string::npos);  // a copy: delivery groupchat
    sent = h.say("m4", "hey you", 30,
                 "<reference xmlns='urn:xmpp:reference:0' type='mention' begin='0' end='3' "
                 "uri='xmpp:room@conference.localhost/Carol'/>");
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].find("to='carol@localhost'") != std::string::npos);
    sent = h.say("m5", "see this", 40,
                 "<reference xmlns='urn:xmpp:reference:0' type='mention' "
                 "uri='xmpp:bob@localhost'/>");
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].find("to='bob@localhost'") != std::string::npos);
    // A reference of another type is no mention.
    CHECK(h.say("m6", "see this", 50,
                "<reference xmlns='urn:xmpp:reference:0' type='data' uri='xmpp:bob@localhost'/>")
              .empty());
}

TEST_CASE("auto: copies until the member's server refuses one, notices from then on, durably") {
    offline::Options options;
    options.delivery = offline::Delivery::automatic;
    options.notice.min_interval = std::chrono::seconds(0);
    Harness h(options);
    h.opt_in("bob@localhost", "bob");      // a stock server
    h.opt_in("carol@localhost", "carol");  // a server that takes copies
    auto sent = h.say("m1", "one", 0);
    REQUIRE(sent.size() == 2);
    CHECK(sent[0].find("type='groupchat'") != std::string::npos);
    CHECK(sent[1].find("type='groupchat'") != std::string::npos);

    h.recorded.clear();
    CHECK(h.from_server({bounce("bob@localhost", "m1")}, 10).empty());  // swallowed
    CHECK(h.delivery->gets_notices("bob@localhost"));
    CHECK_FALSE(h.delivery->gets_notices("carol@localhost"));
    CHECK(h.delivery->counters().members_switched_to_notices == 1);
    REQUIRE(h.notes.size() == 1);
    CHECK(h.notes[0] ==
          "offline delivery to bob@localhost switched to notices: its server "
          "refused a copy (service-unavailable)");
    REQUIRE(h.recorded.size() == 1);
    CHECK(h.recorded[0].kind == offline::StateChange::Kind::put_member);
    CHECK(h.recorded[0].notices);

    sent = h.say("m2", "two", 20);
    REQUIRE(sent.size() == 2);
    CHECK(sent[0].find("to='bob@localhost' type='chat'") != std::string::npos);
    // The bounced message is counted in the first notice.
    CHECK(body_of(sent[0]) == "2 new messages in room@conference.localhost, last from alice: two");
    CHECK(sent[1].find("to='carol@localhost'") != std::string::npos);
    CHECK(sent[1].find("type='groupchat'") != std::string::npos);

    // A bounced notice does not switch anything: it counts towards pausing, as copies do.
    h.from_server({bounce("bob@localhost", id_of(sent[0]))}, 30);
    CHECK(h.delivery->counters().members_switched_to_notices == 1);
    CHECK(h.delivery->counters().bounces_swallowed == 2);

    // Opting in again starts over with copies.
    h.opt_in("bob@localhost", "bob");
    CHECK_FALSE(h.delivery->gets_notices("bob@localhost"));
    sent = h.say("m3", "three", 40);
    REQUIRE(sent.size() == 2);
    CHECK(sent[0].find("to='bob@localhost'") != std::string::npos);
    CHECK(sent[0].find("type='groupchat'") != std::string::npos);

    // After a restart the switch holds.
    Harness restarted(options);
    offline::StoredState state;
    state.registrations.push_back({kRoom, "bob@localhost", {"bob", true}, 1});
    state.members.push_back({"bob@localhost", false, 0, true});
    restarted.delivery->restore(state);
    sent = restarted.say("m4", "four", 0);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].find("type='chat'") != std::string::npos);
}

TEST_CASE("auto: copies already sent when the member switched count in the first notice") {
    offline::Options options;
    options.delivery = offline::Delivery::automatic;
    options.notice.min_interval = std::chrono::seconds(300);
    Harness h(options);
    h.opt_in("bob@localhost", "bob");
    REQUIRE(h.say("m1", "one", 0).size() == 1);
    REQUIRE(h.say("m2", "two", 10).size() == 1);  // both copies on their way
    CHECK(h.from_server({bounce("bob@localhost", "m1")}, 20).empty());
    CHECK(h.from_server({bounce("bob@localhost", "m2")}, 30).empty());  // swallowed, counted
    CHECK(h.delivery->counters().members_switched_to_notices == 1);
    CHECK(h.delivery->counters().bounces_swallowed == 2);
    const auto sent = h.say("m3", "three", 40);
    REQUIRE(sent.size() == 1);
    CHECK(body_of(sent[0]) ==
          "3 new messages in room@conference.localhost, last from alice: three");
}

TEST_CASE("auto: an error that is no refusal of groupchat to a bare JID switches nothing") {
    offline::Options options;
    options.delivery = offline::Delivery::automatic;
    Harness h(options);
    h.opt_in("bob@localhost", "bob");
    h.say("m1", "one", 0);
    h.from_server({bounce("bob@localhost", "m1", "resource-constraint")}, 10);
    CHECK_FALSE(h.delivery->gets_notices("bob@localhost"));
    for (const char* condition :
         {"feature-not-implemented", "not-acceptable", "recipient-unavailable"}) {
        Harness other(options);
        other.opt_in("bob@localhost", "bob");
        other.say("m1", "one", 0);
        other.from_server({bounce("bob@localhost", "m1", condition)}, 10);
        CHECK_MESSAGE(other.delivery->gets_notices("bob@localhost"), condition);
    }
    // Under "groupchat" a bounce never switches.
    Harness copies;
    copies.opt_in("bob@localhost", "bob");
    copies.say("m1", "one", 0);
    copies.from_server({bounce("bob@localhost", "m1")}, 10);
    CHECK_FALSE(copies.delivery->gets_notices("bob@localhost"));
}

TEST_CASE("notice: a message over the tree limits still gets a notice, without its text") {
    offline::Options options = notices();
    options.tree_limits.max_depth = 4;
    Harness h(options);
    h.opt_in("bob@localhost", "bob");
    const auto sent = h.say("m1", "deep", 0, "<a xmlns='x'><b><c><d/></c></b></a>");
    REQUIRE(sent.size() == 1);
    CHECK(body_of(sent[0]) == "alice in room@conference.localhost");
}
