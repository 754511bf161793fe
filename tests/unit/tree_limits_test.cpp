// Issue 11, B2 and C3: the stanzas the feature reads as a tree come from strangers. No tree is
// built from one over the link's tree limits (depth, attributes on one element, children of one
// element): a request from the server side is answered with policy-violation and never reaches
// the MUC; a stanza from the MUC goes on byte for byte without the feature's changes. Stanzas
// the feature does not read pass as they are, whatever their shape.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "offline/offline_delivery.hpp"
#include "support/delivery_harness.hpp"
#include "xml/standalone.hpp"
#include "xmpp/filter_chain.hpp"
#include "xmpp/stanza_tree.hpp"
#include "xmpp/tree_shape.hpp"

namespace {

using xmpp::Decision;
using xmpp::Direction;
using xmpp::TreeLimit;

constexpr const char* kRoom = "room@conference.localhost";
constexpr int kHostileSize = 100000;

std::string nested(int depth) {
    std::string out;
    out.reserve(static_cast<std::size_t>(depth) * 7);
    for (int i = 0; i < depth; ++i) out += "<a>";
    for (int i = 0; i < depth; ++i) out += "</a>";
    return out;
}

std::string attributes(int count) {
    std::string out;
    for (int i = 0; i < count; ++i) out += " a" + std::to_string(i) + "='1'";
    return out;
}

// A register submit from bob to the room, with `field_extra` inside the offline field's start
// tag and `value_extra` after its value.
std::string submit(const std::string& field_extra = "", const std::string& value_extra = "") {
    return "<iq to='" + std::string(kRoom) +
           "' id='reg1' from='bob@localhost/phone' type='set'><query "
           "xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field "
           "var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#register</value>"
           "</field><field var='muc#register_roomnick'><value>bob</value></field><field "
           "var='{http://tigase.org/protocol/muc}offline'" +
           field_extra + "><value>1</value>" + value_extra + "</field></x></query></iq>";
}

using test_support::Out;
// One stanza at a time.
struct Harness : test_support::DeliveryHarness {
    using DeliveryHarness::DeliveryHarness;
    std::vector<Out> from_server(const std::string& raw) {
        return DeliveryHarness::from_server(std::vector<std::string>{raw});
    }
    std::vector<Out> from_muc(const std::string& raw) {
        return DeliveryHarness::from_muc(std::vector<std::string>{raw});
    }
};

offline::Options standalone() {
    offline::Options options;
    options.registration = offline::RegistrationMode::standalone;
    return options;
}

// The only thing written is the proxy's policy-violation to bob, naming `key`.
void check_refused(const Harness& h, const std::string& key) {
    REQUIRE(h.out.size() == 1);
    const Out& answer = h.out[0];
    CHECK(answer.how == Decision::Kind::inject);
    CHECK(answer.direction == Direction::to_server);
    auto iq = xmpp::StanzaTree::parse(answer.bytes);
    REQUIRE(iq);
    CHECK(xmpp::attribute(iq->root(), "type") == "error");
    CHECK(xmpp::attribute(iq->root(), "to") == "bob@localhost/phone");
    CHECK(xmpp::attribute(iq->root(), "from") == kRoom);
    CHECK(xmpp::attribute(iq->root(), "id") == "reg1");
    xmpp_stanza_t* error = xmpp::child(iq->root(), "error", nullptr);
    CHECK(xmpp::attribute(error, "type") == "modify");
    constexpr const char* kStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
    CHECK(xmpp::child(error, "policy-violation", kStanzas) != nullptr);
    CHECK(xmpp::text_of(xmpp::child(error, "text", kStanzas)).find(key) != std::string::npos);
    REQUIRE(h.notes.size() == 1);
    CHECK(h.notes[0].find(key) != std::string::npos);
    CHECK(h.notes[0].find("bob@localhost/phone") != std::string::npos);
}

// Forwarded as received, and nothing else written.
void check_forwarded_as_is(const Harness& h, Direction direction, const std::string& raw) {
    REQUIRE(h.out.size() == 1);
    CHECK(h.out[0].how == Decision::Kind::forward);
    CHECK(h.out[0].direction == direction);
    CHECK(h.out[0].bytes == raw);
}

}  // namespace

TEST_CASE("tree limits: the shape check counts depth, attributes and children at the limit") {
    const xmpp::TreeLimits limits;  // 64, 64, 256
    CHECK_FALSE(xmpp::exceeded_tree_limit("<iq>" + nested(63) + "</iq>", limits));
    CHECK(xmpp::exceeded_tree_limit("<iq>" + nested(64) + "</iq>", limits) == TreeLimit::depth);
    CHECK_FALSE(xmpp::exceeded_tree_limit("<iq><f" + attributes(64) + "/></iq>", limits));
    CHECK(xmpp::exceeded_tree_limit("<iq><f" + attributes(65) + "/></iq>", limits) ==
          TreeLimit::attributes);
    std::string wide;
    for (int i = 0; i < 128; ++i) wide += "t<a/>";  // 256 children: text runs count too
    CHECK_FALSE(xmpp::exceeded_tree_limit("<iq>" + wide + "</iq>", limits));
    CHECK(xmpp::exceeded_tree_limit("<iq>" + wide + "t</iq>", limits) == TreeLimit::children);
    // Siblings are not depth: self-closed and closed elements in a row stay at 2.
    std::string siblings;
    for (int i = 0; i < 100; ++i) siblings += "<a/><b x='1'></b>";
    CHECK_FALSE(xmpp::exceeded_tree_limit("<iq>" + siblings + "</iq>", limits));
}

TEST_CASE("tree limits: a raised max_depth is checked past the levels kept on the stack") {
    const xmpp::TreeLimits deep{.max_depth = 300, .max_attributes = 64, .max_children = 3};
    CHECK_FALSE(xmpp::exceeded_tree_limit("<iq>" + nested(299) + "</iq>", deep));
    CHECK(xmpp::exceeded_tree_limit("<iq>" + nested(300) + "</iq>", deep) == TreeLimit::depth);
    // Children are counted per element at every depth: 4 under the 200th level is one too many.
    std::string open, close;
    for (int i = 0; i < 199; ++i) {
        open += "<e>";
        close = "</e>" + close;
    }
    CHECK_FALSE(xmpp::exceeded_tree_limit("<iq>" + open + "<a/><b/><c/>" + close + "</iq>", deep));
    CHECK(xmpp::exceeded_tree_limit("<iq>" + open + "<a/><b/><c/><d/>" + close + "</iq>", deep) ==
          TreeLimit::children);
    // Back out of the deep part, the outer elements' counts are their own again.
    CHECK_FALSE(xmpp::exceeded_tree_limit("<iq>" + open + close + "<x/><y/></iq>", deep));
}

TEST_CASE("tree limits: quoted values may hold '>', '/' and the other quote") {
    const xmpp::TreeLimits limits{.max_depth = 2, .max_attributes = 2, .max_children = 16};
    CHECK_FALSE(xmpp::exceeded_tree_limit(R"(<iq a='>/' b="'>"><x c='/'/></iq>)", limits));
    CHECK(xmpp::exceeded_tree_limit(R"(<iq a='>/' b="'>" c='/'/>)", limits) ==
          TreeLimit::attributes);
    // `c='/'` does not close <x>: the <y> inside it is a third level.
    CHECK(xmpp::exceeded_tree_limit(R"(<iq><x c='/'><y/></x></iq>)", limits) == TreeLimit::depth);
}

TEST_CASE("tree limits: the shape check is linear: 200,000 attributes are refused at once") {
    const std::string huge = "<iq><f" + attributes(2 * kHostileSize) + "/></iq>";
    CHECK(xmpp::exceeded_tree_limit(huge, {}) == TreeLimit::attributes);
    CHECK_FALSE(xmpp::StanzaTree::parse(huge));
    // Not XML at all: scanned without harm, refused by the parser.
    for (const char* broken : {"<", "<a b='", "</a>", "<a", "text", ""}) {
        CHECK_FALSE(xmpp::exceeded_tree_limit(broken, {}));
        CHECK_FALSE(xmpp::StanzaTree::parse(broken));
    }
}

TEST_CASE("tree limits: a register submit 100,000 elements deep is refused, not read") {
    const std::string deep = submit("", nested(kHostileSize));
    CHECK(deep.size() > 700000);
    CHECK(deep.size() < 1024 * 1024);  // under the default max_stanza_bytes
    SUBCASE("augment") {
        Harness h;
        h.from_server(deep);
        check_refused(h, "limits.max_depth");
        CHECK(h.delivery->tree_limit_refusals().depth == 1);
    }
    SUBCASE("standalone") {
        Harness h(standalone());
        h.from_server(deep);
        check_refused(h, "limits.max_depth");
        CHECK(h.delivery->registrations().find(kRoom, "bob@localhost") == nullptr);
    }
}

TEST_CASE("tree limits: muc#admin and muc#owner sets over the limits are refused too") {
    Harness h;
    const std::string admin = "<iq to='" + std::string(kRoom) +
                              "' id='reg1' from='bob@localhost/phone' type='set'><query "
                              "xmlns='http://jabber.org/protocol/muc#admin'><item jid='eve@x' "
                              "affiliation='outcast'>" +
                              nested(kHostileSize) + "</item></query></iq>";
    h.from_server(admin);
    check_refused(h, "limits.max_depth");
    const std::string owner = "<iq to='" + std::string(kRoom) +
                              "' id='reg1' from='bob@localhost/phone' type='set'><query "
                              "xmlns='http://jabber.org/protocol/muc#owner'><destroy" +
                              attributes(kHostileSize) + "/></query></iq>";
    h.from_server(owner);
    check_refused(h, "limits.max_attributes");
    CHECK(h.delivery->tree_limit_refusals().depth == 1);
    CHECK(h.delivery->tree_limit_refusals().attributes == 1);
}

TEST_CASE("tree limits: a disco#info result 100,000 deep from the MUC passes byte for byte") {
    Harness h;
    const std::string disco =
        "<iq to='bob@localhost/phone' id='d1' type='result' from='" + std::string(kRoom) +
        "'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='conference' "
        "type='text' xml:lang='en'/><feature var='muc_open'/><x xmlns='jabber:x:data' "
        "type='result'>" +
        nested(kHostileSize) + "</x></query></iq>";
    h.from_muc(disco);
    check_forwarded_as_is(h, Direction::to_server, disco);
    REQUIRE(h.notes.size() == 1);
    CHECK(h.notes[0].find("limits.max_depth") != std::string::npos);
    CHECK(h.notes[0].find("disco#info") != std::string::npos);
    CHECK(h.delivery->tree_limit_refusals().depth == 1);
}

TEST_CASE("tree limits: the MUC's register form over the limits passes unchanged") {
    Harness h;
    h.from_server("<iq to='" + std::string(kRoom) +
                  "' id='get1' from='bob@localhost/phone' type='get'><query "
                  "xmlns='jabber:iq:register'/></iq>");
    const std::string form = "<iq to='bob@localhost/phone' id='get1' type='result' from='" +
                             std::string(kRoom) +
                             "'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' "
                             "type='form'><field var='FORM_TYPE' type='hidden'" +
                             attributes(kHostileSize) + "/></x></query></iq>";
    h.from_muc(form);
    check_forwarded_as_is(h, Direction::to_server, form);
    REQUIRE(h.notes.size() == 1);
    CHECK(h.notes[0].find("limits.max_attributes") != std::string::npos);
    CHECK(h.delivery->tree_limit_refusals().attributes == 1);
}

TEST_CASE("tree limits: a submit with 100,000 or 200,000 attributes on one field is refused") {
    for (int count : {kHostileSize, 2 * kHostileSize}) {
        Harness h;
        const std::string wide = submit(attributes(count));
        CAPTURE(wide.size());
        CHECK(wide.size() < 4 * 1024 * 1024);
        h.from_server(wide);
        check_refused(h, "limits.max_attributes");
        CHECK(h.delivery->tree_limit_refusals().attributes == 1);
    }
}

TEST_CASE("tree limits: a submit with 100,000 fields is refused (libstrophe appends in O(n))") {
    std::string fields;
    for (int i = 0; i < kHostileSize; ++i) fields += "<v/>";
    Harness h;
    h.from_server(submit("", fields));
    check_refused(h, "limits.max_children");
    CHECK(h.delivery->tree_limit_refusals().children == 1);
}

TEST_CASE(
    "tree limits: a submit with a few attributes still registers; the limits are the link's") {
    Harness h;
    const std::string legit = submit(" type='boolean' label='Offline'");
    h.from_server(legit);
    REQUIRE(h.out.size() == 1);
    CHECK(h.out[0].how == Decision::Kind::forward_rewritten);  // the field stripped
    CHECK(h.out[0].direction == Direction::to_component);
    CHECK(h.notes.empty());
    h.from_muc("<iq to='bob@localhost/phone' id='reg1' type='result' from='" + std::string(kRoom) +
               "'/>");
    REQUIRE(h.delivery->registrations().find(kRoom, "bob@localhost") != nullptr);
    CHECK(h.delivery->registrations().find(kRoom, "bob@localhost")->offline);

    // A reload lowers the limit below what the same submit needs.
    offline::Options tight;
    tight.tree_limits.max_attributes = 1;
    h.delivery->set_options(tight);
    h.from_server(legit);
    check_refused(h, "limits.max_attributes");
    CHECK(h.delivery->tree_limit_refusals().attributes == 1);
}

TEST_CASE("tree limits: a MUC presence the feature must read, over the limits, passes as it is") {
    Harness h;
    h.from_muc("<presence from='" + std::string(kRoom) +
               "/bob' to='bob@localhost/phone'><x xmlns='http://jabber.org/protocol/muc#user'>"
               "<item affiliation='member' role='participant'/><status code='110'/></x>"
               "</presence>");
    REQUIRE(h.delivery->occupancy().sessions() == 1);
    const std::string leave = "<presence type='unavailable' from='" + std::string(kRoom) +
                              "/bob' to='bob@localhost/phone'><x "
                              "xmlns='http://jabber.org/protocol/muc#user'><item" +
                              attributes(kHostileSize) + "/><status code='110'/></x></presence>";
    h.from_muc(leave);
    check_forwarded_as_is(h, Direction::to_server, leave);
    REQUIRE(h.notes.size() == 1);
    CHECK(h.notes[0].find("limits.max_attributes") != std::string::npos);
    CHECK(h.notes[0].find("bob@localhost/phone") != std::string::npos);
    CHECK(h.delivery->tree_limit_refusals().attributes == 1);
    // Unread, it still says the occupant left (its own nick, unavailable).
    CHECK(h.delivery->occupancy().sessions() == 0);
}

TEST_CASE("tree limits: stanzas the feature does not read pass byte for byte, at any depth") {
    Harness h;
    const std::string message = "<message from='bob@localhost/phone' to='" + std::string(kRoom) +
                                "' type='groupchat' id='m1'><body>hi</body>" +
                                nested(kHostileSize) + "</message>";
    h.from_server(message);
    check_forwarded_as_is(h, Direction::to_component, message);
    CHECK(h.notes.empty());
    const std::string broadcast = "<message from='" + std::string(kRoom) +
                                  "/bob' to='alice@localhost/desk' type='groupchat' "
                                  "id='m1'><body>hi</body><x" +
                                  attributes(kHostileSize) + ">" + nested(kHostileSize) +
                                  "</x></message>";
    h.from_muc(broadcast);
    check_forwarded_as_is(h, Direction::to_server, broadcast);
    CHECK(h.notes.empty());
    const offline::TreeLimitCounters counted = h.delivery->tree_limit_refusals();
    CHECK(counted.depth + counted.attributes + counted.children == 0);
}
