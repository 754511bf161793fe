// Two component sessions of one link at once (a MUC's connections load-balanced by the server,
// or a reconnection overlapping the old connection's end): each keeps its own broadcast,
// fan-out and pending requests; registrations and occupancy are the link's.
#include <doctest/doctest.h>

#include "offline/delivery_session.hpp"
#include "offline/offline_delivery.hpp"
#include "xml/standalone.hpp"

namespace {

constexpr const char* kRoom = "room@conference.localhost";

std::string groupchat(const std::string& to, const std::string& id) {
    return "<message from='" + std::string(kRoom) + "/alice' to='" + to +
           "' type='groupchat' id='" + id + "'><body>" + id + "</body></message>";
}

std::string self_presence(const std::string& full_jid, const std::string& nick) {
    return "<presence from='" + std::string(kRoom) + "/" + nick + "' to='" + full_jid +
           "'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' "
           "role='participant'/><status code='110'/></x></presence>";
}

// One session's filter, fed as its connection would feed it; what it injected is kept.
struct Connection {
    offline::DeliverySession session;
    std::vector<std::string> injected;
    explicit Connection(offline::OfflineDelivery& link) : session(link) {}

    void from_muc(const std::string& raw, bool end_of_read) {
        xml::ElementView top;
        REQUIRE(xml::parse_standalone(raw, top));
        xmpp::Decisions out;
        session.on_stanza(xmpp::Direction::to_server, xmpp::Stanza{top, raw}, xmpp::Moment(0), out);
        keep(out);
        if (!end_of_read) return;
        out.clear();
        session.on_batch_end(xmpp::Direction::to_server, xmpp::Moment(0), out);
        keep(out);
    }
    void keep(const xmpp::Decisions& out) {
        std::string scratch;
        for (const xmpp::Decision& d : out) {
            if (d.kind == xmpp::Decision::Kind::inject ||
                d.kind == xmpp::Decision::Kind::inject_copy)
                injected.emplace_back(out.bytes_of(d, scratch));
        }
    }
};

}  // namespace

TEST_CASE(
    "delivery sessions: broadcasts read on two connections at once are each recognised once; "
    "the link's occupancy is shared") {
    offline::OfflineDelivery link({}, "conference.localhost");
    xmpp::Decisions ignored;
    link.registrations().set(kRoom, "bob@localhost", offline::Registration{"bob", true}, {},
                             &ignored);
    Connection a(link), b(link);
    CHECK(link.sessions() == 2);
    a.from_muc(self_presence("alice@localhost/desk", "alice"), true);
    b.from_muc(self_presence("carol@localhost/pc", "carol"), true);
    // Occupancy is the link's: either connection's presence counts.
    CHECK(link.occupancy().is_present(kRoom, "alice@localhost"));
    CHECK(link.occupancy().is_present(kRoom, "carol@localhost"));

    // m1's broadcast on a is cut by m2's on b; a's read then goes on.
    a.from_muc(groupchat("alice@localhost/desk", "m1"), false);
    b.from_muc(groupchat("carol@localhost/pc", "m2"), true);
    a.from_muc(groupchat("carol@localhost/pc", "m1"), true);
    b.from_muc(groupchat("alice@localhost/desk", "m2"), true);

    // bob, absent, gets each message once, from the connection it was read on.
    REQUIRE(a.injected.size() == 1);
    CHECK(a.injected[0] == groupchat("bob@localhost", "m1"));
    REQUIRE(b.injected.size() == 1);
    CHECK(b.injected[0] == groupchat("bob@localhost", "m2"));
    // Nobody was taken for gone by the other connection's broadcast.
    CHECK(link.occupancy().is_present(kRoom, "alice@localhost"));
    CHECK(link.occupancy().is_present(kRoom, "carol@localhost"));
    CHECK(link.counters().copies_sent == 2);
}

TEST_CASE("delivery sessions: a session's tables end with it; the link keeps its counts") {
    offline::OfflineDelivery link({}, "conference.localhost");
    {
        offline::DeliverySession first(link);
        const std::string join = "<presence to='" + std::string(kRoom) +
                                 "/dave' from='dave@localhost/pc'><x "
                                 "xmlns='http://jabber.org/protocol/muc'/></presence>";
        xml::ElementView top;
        REQUIRE(xml::parse_standalone(join, top));
        xmpp::Decisions out;
        first.on_stanza(xmpp::Direction::to_component, xmpp::Stanza{top, join}, xmpp::Moment(0),
                        out);
        CHECK(link.pending_join_bytes() > 0);
        CHECK(link.sessions() == 1);
    }
    CHECK(link.sessions() == 0);
    CHECK(link.pending_join_bytes() == 0);
    offline::DeliverySession second(link);
    CHECK(link.pending_join_bytes() == 0);
}

TEST_CASE("delivery sessions: open_session keeps the link's state alive as long as the session") {
    auto link =
        std::make_shared<offline::OfflineDelivery>(offline::Options{}, "conference.localhost");
    std::weak_ptr<offline::OfflineDelivery> watched = link;
    auto session = offline::open_session(std::move(link));
    CHECK_FALSE(watched.expired());
    session.reset();
    CHECK(watched.expired());
}
