// The offline-delivery filter's rules on small, readable exchanges: who is present, when a
// message is new, what is copied, bounces.
#include "offline/offline_delivery.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/delivery_harness.hpp"
#include "xml/standalone.hpp"
#include "xmpp/filter_chain.hpp"

namespace {

using xmpp::Decision;
using xmpp::Direction;

constexpr const char* kRoom = "room@conference.localhost";

using test_support::Out;

using Harness = test_support::RoomHarness;

// bob's phone submits the register form with nick bob and the offline field on.
const std::string kBobOptsIn =
    "<iq to='room@conference.localhost' id='set1' from='bob@localhost/phone' type='set'><query "
    "xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field "
    "var='muc#register_roomnick'><value>bob</value></field><field "
    "var='{http://tigase.org/protocol/muc}offline'><value>1</value></field></x></query></iq>";

std::string groupchat(const std::string& to, const std::string& id, const std::string& body,
                      const std::string& extra = "") {
    return "<message from='" + std::string(kRoom) + "/alice' to='" + to +
           "' type='groupchat' id='" + id + "'><body>" + body + "</body>" + extra + "</message>";
}

}  // namespace

TEST_CASE(
    "offline: a copy goes to an absent opted-in member after the broadcast, bytes kept but for "
    "to") {
    Harness h;
    h.opt_in("bob@localhost", "bob");
    h.join("alice@localhost/desk", "alice");
    auto out = h.from_muc({groupchat("alice@localhost/desk", "m1", "hi &amp; bye")});
    REQUIRE(out.size() == 2);
    CHECK(out[0].how == Decision::Kind::forward);
    CHECK(out[1].how == Decision::Kind::inject);
    CHECK(out[1].direction == Direction::to_server);
    CHECK(out[1].bytes == groupchat("bob@localhost", "m1", "hi &amp; bye"));
    CHECK(h.delivery->counters().copies_sent == 1);
    CHECK(h.delivery->counters().messages_fanned_out == 1);
}

TEST_CASE(
    "offline: present under any nick or resource means no copy; leaving the room brings them "
    "back") {
    Harness h;
    h.opt_in("bob@localhost", "bob");
    h.join("bob@localhost/laptop", "bobby");  // another nick than the registered one
    h.from_muc({groupchat("bob@localhost/laptop", "m1", "one")});
    CHECK(h.injected().empty());
    h.leave("bob@localhost/laptop", "bobby");
    h.from_muc({groupchat("alice@localhost/desk", "m2", "two")});
    CHECK(h.injected().size() == 1);
}

TEST_CASE("offline: JIDs are compared after stringprep") {
    Harness h;
    h.opt_in("bob@localhost", "bob");
    h.join("Bob@LocalHost/phone", "bob");
    h.from_muc({groupchat("Bob@LocalHost/phone", "m1", "one")});
    CHECK(h.injected().empty());
}

TEST_CASE("offline: copies to a known session in another spelling are that session's") {
    Harness h;
    h.opt_in("bob@localhost", "bob");
    h.opt_in("carol@localhost", "carol");
    h.join("bob@localhost/phone", "bob");
    h.join("alice@localhost/desk", "alice");
    REQUIRE(h.delivery->occupancy().sessions() == 2);
    // The MUC names bob's session as its user once spelled it, or as prepared: one session.
    // Only carol is absent: each message is one copy, hers.
    const std::vector<std::vector<std::string>> broadcasts = {
        {groupchat("BOB@LocalHost/phone", "m1", "one"),
         groupchat("alice@localhost/desk", "m1", "one")},
        {groupchat("bob@localhost/phone", "m2", "two"),
         groupchat("alice@localhost/desk", "m2", "two")},
        {groupchat("alice@localhost/desk", "m3", "three"),
         groupchat("Bob@localhost/phone", "m3", "three")}};
    for (const auto& broadcast : broadcasts) {
        h.from_muc(broadcast);
        const auto copies = h.injected();
        REQUIRE(copies.size() == 1);
        CHECK(copies[0].find("to='carol@localhost'") != std::string::npos);
        CHECK(h.delivery->occupancy().sessions() == 2);
        CHECK(h.delivery->occupancy().is_present(kRoom, "bob@localhost"));
    }
}

TEST_CASE("offline: one broadcast is one message, whatever the attribute order of its copies") {
    Harness h;
    h.opt_in("bob@localhost", "bob");
    auto out = h.from_muc({
        "<message from='room@conference.localhost/alice' to='alice@localhost/desk' "
        "type='groupchat' id='m1'><body>x</body></message>",
        "<message type='groupchat' id='m1' to='carol@localhost/pc' "
        "from='room@conference.localhost/alice'><body>x</body></message>",
        "<message id='m1' to='dave@localhost/tab' type='groupchat' "
        "from='room@conference.localhost/alice'><body>x</body></message>",
    });
    REQUIRE(h.injected().size() == 1);
    // The copy comes after the whole broadcast.
    CHECK(out.back().how == Decision::Kind::inject);
}

TEST_CASE("offline: the same text twice in a row is two messages") {
    Harness h;
    h.opt_in("bob@localhost", "bob");
    h.from_muc({groupchat("alice@localhost/desk", "same", "again"),
                groupchat("carol@localhost/pc", "same", "again"),
                groupchat("alice@localhost/desk", "same", "again"),
                groupchat("carol@localhost/pc", "same", "again")});
    CHECK(h.injected().size() == 2);
}

TEST_CASE("offline: a broadcast split over two reads is still one message") {
    Harness h;
    h.opt_in("bob@localhost", "bob");
    h.from_muc({groupchat("alice@localhost/desk", "m1", "x")});
    CHECK(h.injected().size() == 1);
    h.from_muc({groupchat("carol@localhost/pc", "m1", "x")});
    CHECK(h.injected().empty());
}

TEST_CASE("offline: only what Prosody keeps in history is copied") {
    Harness h;
    h.opt_in("bob@localhost", "bob");
    auto copies_of = [&](const std::string& message) {
        h.from_muc({message});
        return h.injected().size();
    };
    const std::string to = "alice@localhost/desk";
    CHECK(copies_of(groupchat(to, "a", "body")) == 1);
    CHECK(copies_of(groupchat(to, "b", "body", "<no-store xmlns='urn:xmpp:hints'/>")) == 0);
    CHECK(copies_of(groupchat(to, "c", "body", "<no-permanent-store xmlns='urn:xmpp:hints'/>")) ==
          0);
    CHECK(copies_of("<message from='room@conference.localhost/alice' to='" + to +
                    "' type='groupchat' id='d'><subject>topic</subject></message>") == 0);
    CHECK(copies_of("<message from='room@conference.localhost/alice' to='" + to +
                    "' type='groupchat' id='e'><active "
                    "xmlns='http://jabber.org/protocol/chatstates'/></message>") == 0);
    CHECK(copies_of("<message from='room@conference.localhost/alice' to='" + to +
                    "' type='groupchat' id='f'><encryption xmlns='urn:xmpp:eme:0' "
                    "namespace='eu.siacs.conversations.axolotl'/></message>") == 1);
    CHECK(copies_of("<message from='room@conference.localhost/alice' to='" + to +
                    "' type='groupchat' id='g'><received xmlns='urn:xmpp:chat-markers:0' "
                    "id='x'/></message>") == 1);
    CHECK(copies_of("<message from='room@conference.localhost/alice' to='" + to +
                    "' type='groupchat' id='h'><store xmlns='urn:xmpp:hints'/><paused "
                    "xmlns='http://jabber.org/protocol/chatstates'/></message>") == 1);
    // From the room itself (no nick): not an occupant's message.
    CHECK(copies_of("<message from='room@conference.localhost' to='" + to +
                    "' type='groupchat' id='i'><body>x</body></message>") == 0);
    CHECK(copies_of("<message from='room@conference.localhost/alice' to='" + to +
                    "' type='chat' id='j'><body>x</body></message>") == 0);
}

TEST_CASE("offline: a nick change keeps the session") {
    Harness h;
    h.opt_in("bob@localhost", "bob");
    h.join("bob@localhost/phone", "bob");
    h.from_muc(
        {"<presence type='unavailable' from='room@conference.localhost/bob' "
         "to='bob@localhost/phone'><x "
         "xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' "
         "role='participant' "
         "nick='robert'/><status code='303'/><status code='110'/></x></presence>",
         "<presence from='room@conference.localhost/robert' to='bob@localhost/phone'><x "
         "xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' "
         "role='participant'/><status "
         "code='110'/></x></presence>"});
    CHECK(h.delivery->occupancy().nick_of(kRoom, "bob@localhost/phone") == "robert");
    h.from_muc({groupchat("alice@localhost/desk", "m1", "x")});
    CHECK(h.injected().empty());
    h.leave("bob@localhost/phone", "robert");
    h.from_muc({groupchat("alice@localhost/desk", "m2", "x")});
    CHECK(h.injected().size() == 1);
}

TEST_CASE("offline: another occupant leaving does not end this member's session") {
    Harness h;
    h.opt_in("bob@localhost", "bob");
    h.join("bob@localhost/phone", "bob");
    h.from_muc(
        {"<presence type='unavailable' from='room@conference.localhost/carol' "
         "to='bob@localhost/phone'><x "
         "xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' "
         "role='none'/></x></presence>"});
    CHECK(h.delivery->occupancy().is_present(kRoom, "bob@localhost"));
}

TEST_CASE("offline: a join refused with a presence error starts no session") {
    Harness h;
    h.opt_in("bob@localhost", "bob");
    h.from_server(
        {"<presence from='bob@localhost/phone' to='room@conference.localhost/bob'><x "
         "xmlns='http://jabber.org/protocol/muc'/></presence>"});
    h.from_muc(
        {"<presence type='error' from='room@conference.localhost/bob' "
         "to='bob@localhost/phone'><error "
         "type='auth'><registration-required "
         "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>"});
    CHECK_FALSE(h.delivery->occupancy().is_present(kRoom, "bob@localhost"));
}

TEST_CASE("offline: the MUC's answer to a join starts the session even without status 110") {
    Harness h;
    h.from_server(
        {"<presence from='bob@localhost/phone' to='room@conference.localhost/bob'><x "
         "xmlns='http://jabber.org/protocol/muc'/></presence>"});
    h.from_muc(
        {"<presence from='room@conference.localhost/bob' to='bob@localhost/phone'><x "
         "xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' "
         "role='participant'/></x></presence>"});
    CHECK(h.delivery->occupancy().nick_of(kRoom, "bob@localhost/phone") == "bob");
}

TEST_CASE("offline: a broadcast copy proves a session the proxy did not see begin") {
    Harness h;
    h.opt_in("bob@localhost", "bob");
    // As after a restart: no presence seen, but the MUC broadcasts to bob/phone.
    h.from_muc({groupchat("alice@localhost/desk", "m1", "x"),
                groupchat("bob@localhost/phone", "m1", "x")});
    CHECK(h.injected().empty());
    CHECK(h.delivery->occupancy().is_present(kRoom, "bob@localhost"));
    // Its own unavailable presence (110) still ends it.
    h.leave("bob@localhost/phone", "bob");
    CHECK_FALSE(h.delivery->occupancy().is_present(kRoom, "bob@localhost"));
}

TEST_CASE("offline: banned (301) or removed (321) members lose their registration") {
    Harness h;
    h.opt_in("bob@localhost", "bob");
    h.opt_in("carol@localhost", "carol");
    h.join("bob@localhost/phone", "bob");
    h.join("carol@localhost/pc", "carol");
    h.leave("bob@localhost/phone", "bob", "<status code='301'/>");
    h.leave("carol@localhost/pc", "carol", "<status code='321'/>");
    CHECK(h.delivery->registrations().find(kRoom, "bob@localhost") == nullptr);
    CHECK(h.delivery->registrations().find(kRoom, "carol@localhost") == nullptr);
    h.from_muc({groupchat("alice@localhost/desk", "m1", "x")});
    CHECK(h.injected().empty());
}

TEST_CASE("offline: fan-out to many members, present ones skipped") {
    Harness h;
    for (int i = 0; i < 60; ++i)
        h.opt_in("user" + std::to_string(i) + "@localhost", "u" + std::to_string(i));
    for (int i = 0; i < 60; i += 3)
        h.join("user" + std::to_string(i) + "@localhost/r", "u" + std::to_string(i));
    h.from_muc({groupchat("alice@localhost/desk", "m1", "x")});
    std::vector<std::string> copies = h.injected();
    CHECK(copies.size() == 40);
    for (const std::string& copy : copies) {
        CHECK(copy.find("/r'") == std::string::npos);
        CHECK(copy.find("to='user") != std::string::npos);
    }
}

TEST_CASE(
    "offline: bounces of copies are swallowed, others reach the MUC; pause after N in a row") {
    offline::Options options;
    options.pause_after_bounces = 2;
    options.bounce_ttl = std::chrono::milliseconds(1000);
    Harness h(options);
    h.opt_in("bob@localhost", "bob");
    auto bounce = [](const std::string& id) {
        return "<message type='error' from='bob@localhost' to='room@conference.localhost/alice' "
               "id='" +
               id +
               "'><error type='cancel'><service-unavailable "
               "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>";
    };
    h.from_muc({groupchat("alice@localhost/desk", "m1", "x")}, 0);
    auto out = h.from_server({bounce("m1")}, 10);
    CHECK(out.empty());  // dropped
    CHECK(h.delivery->counters().bounces_swallowed == 1);
    // An error the proxy did not cause goes to the MUC.
    out = h.from_server({bounce("other")}, 20);
    REQUIRE(out.size() == 1);
    CHECK(out[0].how == Decision::Kind::forward);

    // A copy that draws no bounce within the TTL resets the streak.
    h.from_muc({groupchat("alice@localhost/desk", "m2", "x")}, 100);
    h.from_muc({groupchat("alice@localhost/desk", "m3", "x")}, 2000);
    h.from_server({bounce("m3")}, 2010);
    CHECK_FALSE(h.delivery->is_paused("bob@localhost"));
    h.from_muc({groupchat("alice@localhost/desk", "m4", "x")}, 2100);
    h.from_server({bounce("m4")}, 2110);
    CHECK(h.delivery->is_paused("bob@localhost"));
    CHECK(h.delivery->counters().members_paused == 1);
    CHECK(h.notes.size() == 1);
    h.from_muc({groupchat("alice@localhost/desk", "m5", "x")}, 2200);
    CHECK(h.injected().empty());
    // A bounce after the TTL is not recognized any more: it goes to the MUC.
    h.from_muc({groupchat("alice@localhost/desk", "m6", "y")}, 3000);
    out = h.from_server({bounce("m2")}, 5000);
    CHECK(out.size() == 1);

    // Opting in again resumes delivery.
    h.opt_in("bob@localhost", "bob");
    CHECK_FALSE(h.delivery->is_paused("bob@localhost"));
    h.from_muc({groupchat("alice@localhost/desk", "m7", "z")}, 5100);
    CHECK(h.injected().size() == 1);
}

TEST_CASE("offline: past max_tracked_copies the oldest copies' bounces reach the MUC") {
    offline::Options options;
    options.max_tracked_copies = 2;
    Harness h(options);
    h.opt_in("bob@localhost", "bob");
    h.opt_in("carol@localhost", "carol");
    auto bounce = [](const std::string& from, const std::string& id) {
        return "<message type='error' from='" + from +
               "' to='room@conference.localhost/alice' id='" + id +
               "'><error type='cancel'><service-unavailable "
               "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>";
    };
    h.from_muc({groupchat("alice@localhost/desk", "m1", "x")}, 0);
    h.from_muc({groupchat("alice@localhost/desk", "m2", "y")}, 10);
    CHECK(h.delivery->counters().copies_sent == 4);
    CHECK(h.delivery->tracked_copies() == 2);
    CHECK(h.delivery->copies_forgotten() == 2);
    auto out = h.from_server({bounce("bob@localhost", "m1")}, 20);
    REQUIRE(out.size() == 1);
    CHECK(out[0].how == Decision::Kind::forward);  // m1 was forgotten
    CHECK(h.from_server({bounce("carol@localhost", "m2")}, 30).empty());
    CHECK(h.delivery->counters().bounces_swallowed == 1);
}

namespace {

// The answer bob@localhost/phone gets for his submit `set1` when it could not be stored:
// from the room, to him, same id, a temporary error (RFC 6120 §8.3.3.18).
void check_not_stored_error(const std::string& bytes) {
    xml::ElementView view;
    REQUIRE(xml::parse_standalone(bytes, view));
    CHECK(view.name.local == "iq");
    CHECK(view.attribute("type") == "error");
    CHECK(view.attribute("from") == "room@conference.localhost");
    CHECK(view.attribute("to") == "bob@localhost/phone");
    CHECK(view.attribute("id") == "set1");
    CHECK(bytes.find("<error type=\"wait\"><resource-constraint "
                     "xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/><text "
                     "xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\" xml:lang=\"en\">The room's "
                     "registration could not be stored; try again later</text></error></iq>") !=
          std::string::npos);
}

}  // namespace

TEST_CASE(
    "offline: a registration the MUC accepts is recorded and made durable before its result goes "
    "out") {
    Harness h;
    h.from_server(
        {"<iq to='room@conference.localhost' id='set1' from='bob@localhost/phone' "
         "type='set'><query "
         "xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' "
         "type='hidden'><value>http://jabber.org/protocol/muc#register</value></field><field "
         "var='muc#register_roomnick'><value>bob</value></field><field "
         "var='{http://tigase.org/protocol/muc}offline'><value>true</value></field></x></query></"
         "iq>"},
        1000);
    CHECK(h.recorded.empty());  // nothing is committed before the MUC says yes
    auto out = h.from_muc(
        {"<iq from='room@conference.localhost' id='set1' to='bob@localhost/phone' type='result'/>"},
        1500);
    REQUIRE(out.size() == 2);
    CHECK(out[0].how == Decision::Kind::persist);
    // Should the commit fail, the member hears this instead of the MUC's "registered".
    CHECK(out[0].direction == Direction::to_server);
    check_not_stored_error(out[0].bytes);
    CHECK(out[1].how == Decision::Kind::forward);
    REQUIRE(h.recorded.size() == 1);
    CHECK(h.recorded[0].kind == offline::StateChange::Kind::put_registration);
    CHECK(h.recorded[0].room == kRoom);
    CHECK(h.recorded[0].member == "bob@localhost");
    CHECK(h.recorded[0].registration == offline::Registration{"bob", true});
    CHECK(h.recorded[0].at_ms == 1500);
}

TEST_CASE("offline: sessions and member states are recorded, without holding traffic back") {
    offline::Options options;
    options.pause_after_bounces = 1;
    Harness h(options);
    h.opt_in("bob@localhost", "bob");
    h.recorded.clear();
    h.join("carol@localhost/pc", "carol");
    REQUIRE(h.recorded.size() == 1);
    CHECK(h.recorded[0].kind == offline::StateChange::Kind::put_session);
    CHECK(h.recorded[0].member == "carol@localhost/pc");
    CHECK(h.recorded[0].registration.nick == "carol");
    h.leave("carol@localhost/pc", "carol");
    CHECK(h.recorded.back().kind == offline::StateChange::Kind::remove_session);

    h.from_muc({groupchat("alice@localhost/desk", "m1", "x")});
    auto out = h.from_server(
        {"<message type='error' from='bob@localhost' to='room@conference.localhost/alice' "
         "id='m1'><error type='cancel'><service-unavailable "
         "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>"});
    CHECK(out.empty());
    CHECK(h.recorded.back().kind == offline::StateChange::Kind::put_member);
    CHECK(h.recorded.back().paused);
    CHECK(h.recorded.back().bounce_streak == 1);
}

TEST_CASE("offline: restored state is used at once and not recorded again") {
    Harness h;
    offline::StoredState state;
    state.registrations.push_back({kRoom, "bob@localhost", {"bob", true}, 1});
    state.registrations.push_back({kRoom, "carol@localhost", {"carol", true}, 1});
    state.registrations.push_back({kRoom, "dave@localhost", {"dave", true}, 1});
    state.sessions.push_back({kRoom, "carol@localhost/pc", "carol"});
    state.members.push_back({"dave@localhost", true, 3});
    h.delivery->restore(state);
    CHECK(h.recorded.empty());
    CHECK(h.delivery->is_paused("dave@localhost"));
    CHECK(h.delivery->occupancy().is_present(kRoom, "carol@localhost"));
    h.from_muc(
        {groupchat("alice@localhost/desk", "m1", "x"), groupchat("carol@localhost/pc", "m1", "x")});
    std::vector<std::string> copies = h.injected();
    REQUIRE(copies.size() == 1);  // carol is present, dave is paused
    CHECK(copies[0].find("to='bob@localhost'") != std::string::npos);
}

TEST_CASE("offline: history replayed to someone joining is not a new message") {
    Harness h;
    h.opt_in("bob@localhost", "bob");
    h.join("carol@localhost/pc", "carol");
    h.from_muc({groupchat("carol@localhost/pc", "old1", "said before",
                          "<delay xmlns='urn:xmpp:delay' stamp='2026-11-25T10:00:00Z' "
                          "from='room@conference.localhost'/>"),
                groupchat("carol@localhost/pc", "old2", "said before too",
                          "<x xmlns='jabber:x:delay' stamp='20261125T10:00:01'/>")});
    CHECK(h.injected().empty());
    CHECK(h.delivery->occupancy().is_present(kRoom, "carol@localhost"));
}

TEST_CASE("offline: a session the MUC's broadcast skips is gone, so its member gets copies again") {
    Harness h;
    h.opt_in("bob@localhost", "bob");
    // As restored after a restart during which bob left without the proxy seeing it.
    offline::StoredState state;
    state.sessions.push_back({kRoom, "bob@localhost/phone", "bob"});
    state.sessions.push_back({kRoom, "alice@localhost/desk", "alice"});
    h.delivery->restore(state);
    // The broadcast reaches alice only; the next stanza from the MUC ends it.
    h.from_muc({groupchat("alice@localhost/desk", "m1", "x"),
                "<presence from='room@conference.localhost/alice' to='alice@localhost/desk'/>"});
    CHECK_FALSE(h.delivery->occupancy().is_present(kRoom, "bob@localhost"));
    CHECK(h.delivery->occupancy().is_present(kRoom, "alice@localhost"));
    CHECK(h.injected().size() == 1);  // that very message is copied to bob
}

TEST_CASE(
    "offline: a restored session the first broadcast does not reach is gone, and gets that copy "
    "late") {
    Harness h;
    h.opt_in("bob@localhost", "bob");
    offline::StoredState state;
    state.sessions.push_back(
        {kRoom, "bob@localhost/phone", "bob"});  // he left while the proxy was down
    h.delivery->restore(state);
    // The broadcast is the last thing read: bob is still believed present at the end of it.
    h.from_muc({groupchat("alice@localhost/desk", "m1", "first after the restart")});
    CHECK(h.injected().empty());
    // The next stanza from the MUC shows the broadcast missed him: the copy goes out then.
    h.from_muc({"<presence from='room@conference.localhost/alice' to='alice@localhost/desk'/>"});
    REQUIRE(h.injected().size() == 1);
    CHECK(h.injected()[0].find("first after the restart") != std::string::npos);
    CHECK_FALSE(h.delivery->occupancy().is_present(kRoom, "bob@localhost"));
    // A broadcast split over two reads judges no one at the end of the first.
    h.join("carol@localhost/pc", "carol");
    h.opt_in("carol@localhost", "carol");
    h.from_muc({groupchat("alice@localhost/desk", "m2", "x")});
    CHECK(h.delivery->occupancy().is_present(kRoom, "carol@localhost"));
    h.from_muc({groupchat("carol@localhost/pc", "m2", "x")});
    CHECK(h.injected().empty());
}

TEST_CASE(
    "offline: a new occupant session is made durable before the MUC's self-presence goes out") {
    Harness h;
    h.join("bob@localhost/phone", "bob");
    REQUIRE(h.out.size() == 2);
    CHECK(h.out[0].how == Decision::Kind::persist);
    CHECK(h.out[1].how == Decision::Kind::forward);
}

TEST_CASE("offline: standalone, an occupant known only from a broadcast may register") {
    offline::Options options;
    options.registration = offline::RegistrationMode::standalone;
    Harness h(options);
    h.from_muc({groupchat("bob@localhost/phone", "m1", "x")});  // bob is in; his nick is not known
    auto out = h.from_server({kBobOptsIn});
    REQUIRE(h.injected().size() == 1);
    CHECK(h.injected()[0].find("type=\"result\"") != std::string::npos);
    REQUIRE(h.delivery->registrations().find(kRoom, "bob@localhost") != nullptr);
    CHECK(h.delivery->registrations().find(kRoom, "bob@localhost")->nick == "bob");
}

TEST_CASE(
    "offline: standalone, the proxy's own result waits for the commit, with the error to send "
    "instead") {
    offline::Options options;
    options.registration = offline::RegistrationMode::standalone;
    Harness h(options);
    h.join("bob@localhost/phone", "bob");
    auto out = h.from_server({kBobOptsIn});
    REQUIRE(out.size() == 2);
    CHECK(out[0].how == Decision::Kind::persist);
    CHECK(out[0].direction == Direction::to_server);
    check_not_stored_error(out[0].bytes);
    CHECK(out[1].how == Decision::Kind::inject);
    CHECK(out[1].bytes.find("type=\"result\"") != std::string::npos);

    // A refused submit changes nothing, so nothing waits and there is nothing to replace.
    out =
        h.from_server({"<iq to='room@conference.localhost' id='set2' from='eve@localhost/x' "
                       "type='set'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' "
                       "type='submit'><field var='muc#register_roomnick'><value>eve</value>"
                       "</field></x></query></iq>"});
    REQUIRE(out.size() == 1);
    CHECK(out[0].how == Decision::Kind::inject);
}

TEST_CASE("offline: the MUC refusing a submit persists nothing") {
    Harness h;
    h.from_server(
        {"<iq to='room@conference.localhost' id='set1' from='bob@localhost/phone' "
         "type='set'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' "
         "type='submit'><field var='muc#register_roomnick'><value>bob</value></field>"
         "</x></query></iq>"});
    auto out =
        h.from_muc({"<iq from='room@conference.localhost' id='set1' "
                    "to='bob@localhost/phone' type='error'/>"});
    REQUIRE(out.size() == 1);
    CHECK(out[0].how == Decision::Kind::forward);
}

TEST_CASE("offline: a room's broadcast tracker is dropped once its broadcast is over") {
    Harness h;
    h.opt_in("bob@localhost", "bob");
    h.join("alice@localhost/desk", "alice");
    // Messages in many rooms, each followed by another stanza (here the next room's message).
    for (int i = 0; i < 1000; ++i) {
        h.from_muc({"<message from='r" + std::to_string(i) +
                    "@conference.localhost/alice' to='alice@localhost/desk' type='groupchat' "
                    "id='m'><body>hi</body></message>"});
    }
    CHECK(h.delivery->broadcast_rooms() == 1);  // the one still open
    // The same text again in the room is still a new message, and copied.
    h.from_muc({groupchat("alice@localhost/desk", "m1", "same")});
    h.from_muc({groupchat("alice@localhost/desk", "m1", "same")});
    CHECK(h.injected().size() == 1);
    CHECK(h.delivery->counters().copies_sent == 2);
}
