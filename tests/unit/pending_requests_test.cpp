// The tables fed by the server side (issue 11, C4 and D10): requests waiting for the MUC's
// answer and join attempts are bounded in bytes, and no member's opt-in or revocation is
// forgotten silently when the table is full or the answer comes late. Stanzas are written for
// these tests in the shape of tests/replay/captures/prosody-muc/S1-optin.jsonl.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "offline/delivery_session.hpp"
#include "offline/offline_delivery.hpp"
#include "offline/pending_iqs.hpp"
#include "offline/registration_flow.hpp"
#include "support/flow_rig.hpp"
#include "xml/standalone.hpp"
#include "xmpp/stanza_tree.hpp"

namespace {

using namespace std::chrono_literals;
using offline::Registration;
using xmpp::Decision;
using xmpp::Direction;

constexpr const char* kRoom = "s1-optin@conference.localhost";

using Rig = test_support::FlowRig;

std::string member(int i) {
    return "m" + std::to_string(i) + "@localhost";
}

std::string submit(int i) {
    return "<iq to='" + std::string(kRoom) + "' id='reg-set-" + std::to_string(i) + "' from='" +
           member(i) +
           "/phone' xml:lang='en' type='set'><query xmlns='jabber:iq:register'><x "
           "xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' "
           "type='hidden'><value>http://jabber.org/protocol/muc#register</value></field><field "
           "var='muc#register_roomnick'><value>m" +
           std::to_string(i) +
           "</value></field><field "
           "var='{http://tigase.org/protocol/muc}offline'><value>true</value></field></x></"
           "query></iq>";
}

// The MUC's answer to an iq it received with `id` from `requester`.
std::string answer(std::string_view type, std::string_view id, std::string_view requester) {
    std::string error;
    if (type == "error") {
        error =
            "<error type='cancel'><not-allowed "
            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>";
    }
    return "<iq from='" + std::string(kRoom) + "' id='" + std::string(id) + "' type='" +
           std::string(type) + "' to='" + std::string(requester) + "'" +
           (error.empty() ? "/>" : ">" + error + "</iq>");
}

// What the flow did with a request from the server side.
struct Sent {
    bool to_muc = false;   // forwarded to the MUC, as it came or rewritten
    std::string id;        // the id the MUC got
    bool refused = false;  // answered by the proxy with an error, nothing forwarded
    std::string error_type, error_condition;
};

std::string attribute_of(std::string_view bytes, const char* name) {
    auto tree = xmpp::StanzaTree::parse(bytes);
    REQUIRE(tree);
    return xmpp::attribute(tree->root(), name);
}

std::pair<std::string, std::string> error_of(std::string_view bytes) {
    auto tree = xmpp::StanzaTree::parse(bytes);
    REQUIRE(tree);
    xmpp_stanza_t* error = xmpp::child(tree->root(), "error", nullptr);
    REQUIRE(error != nullptr);
    std::string condition;
    for (xmpp_stanza_t* c = xmpp_stanza_get_children(error); c != nullptr;
         c = xmpp_stanza_get_next(c)) {
        if (xmpp_stanza_is_tag(c) && std::string_view(xmpp_stanza_get_name(c)) != "text")
            condition = xmpp_stanza_get_name(c);
    }
    return {xmpp::attribute(error, "type"), condition};
}

Sent sent(const Rig& rig, bool handled, std::string_view raw) {
    Sent result;
    if (!handled) {
        result.to_muc = true;
        result.id = attribute_of(raw, "id");
        return result;
    }
    for (const Decision& d : rig.out) {
        if (d.direction == Direction::to_component &&
            (d.kind == Decision::Kind::forward || d.kind == Decision::Kind::forward_rewritten)) {
            result.to_muc = true;
            result.id = attribute_of(d.kind == Decision::Kind::forward ? raw : d.bytes, "id");
        }
        if (d.direction == Direction::to_server && d.kind == Decision::Kind::inject &&
            attribute_of(d.bytes, "type") == "error") {
            result.refused = true;
            std::tie(result.error_type, result.error_condition) = error_of(d.bytes);
        }
    }
    return result;
}

// What the member hears from the MUC's answer.
struct Heard {
    std::string type;  // result or error, as it reaches the member
    std::string id;
    std::string error_type, error_condition;
};

Heard heard(const Rig& rig, bool handled, std::string_view raw) {
    if (!handled) return {attribute_of(raw, "type"), attribute_of(raw, "id"), {}, {}};
    Heard result;
    for (const Decision& d : rig.out) {
        if (d.direction != Direction::to_server) continue;
        if (d.kind == Decision::Kind::forward) {
            result = {attribute_of(raw, "type"), attribute_of(raw, "id"), {}, {}};
        } else if (d.kind == Decision::Kind::forward_rewritten ||
                   d.kind == Decision::Kind::inject) {
            result = {attribute_of(d.bytes, "type"), attribute_of(d.bytes, "id"), {}, {}};
            if (result.type == "error") {
                std::tie(result.error_type, result.error_condition) = error_of(d.bytes);
            }
        }
    }
    return result;
}

// n members submit (opt in) before the MUC answers any; then the MUC accepts each submit it
// got. Returns {told registered, refused or told to retry}; checks that whoever was told
// "registered" is registered with offline on, and that a refused submit never reached the MUC.
std::pair<int, int> submit_all_then_answer(Rig& rig, int n) {
    std::vector<Sent> sent_of(n);
    for (int i = 0; i < n; ++i) {
        const std::string raw = submit(i);
        sent_of[i] = sent(rig, rig.from_server(raw, 1s), raw);
        CHECK(sent_of[i].to_muc != sent_of[i].refused);
    }
    int told_registered = 0, told_error = 0, forgotten = 0;
    for (int i = 0; i < n; ++i) {
        if (sent_of[i].refused) {
            CHECK(sent_of[i].error_type == "wait");
            CHECK(sent_of[i].error_condition == "resource-constraint");
            ++told_error;
            continue;
        }
        const std::string raw = answer("result", sent_of[i].id, member(i) + "/phone");
        const Heard h = heard(rig, rig.from_component(raw, 2s), raw);
        CHECK(h.id == "reg-set-" + std::to_string(i));
        if (h.type == "error") {
            ++told_error;
            continue;
        }
        ++told_registered;
        const Registration* registration = rig.registrations.find(kRoom, member(i));
        if (registration == nullptr ||
            !(*registration == Registration{"m" + std::to_string(i), true}))
            ++forgotten;
    }
    CHECK(forgotten == 0);
    CHECK(told_registered + told_error == n);
    return {told_registered, told_error};
}

constexpr std::string_view kBanBob =
    R"xml(<iq to='s1-optin@conference.localhost' id='s1-ban-9' from='alice@localhost/desk' xml:lang='en' type='set'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' jid='bob@localhost'><reason>spam</reason></item></query></iq>)xml";
constexpr std::string_view kBobRemove =
    R"xml(<iq to='s1-optin@conference.localhost' id='s4-reg-remove-5' from='bob@localhost/phone' xml:lang='en' type='set'><query xmlns='jabber:iq:register'><remove/></query></iq>)xml";

std::string register_get(int i, std::size_t id_bytes) {
    std::string id = "get-" + std::to_string(i) + "-";
    id.resize(id_bytes, 'x');
    return "<iq to='" + std::string(kRoom) + "' id='" + id +
           "' from='eve@localhost/x' type='get'><query xmlns='jabber:iq:register'/></iq>";
}

constexpr std::string_view kFormResultTail =
    "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='form'><field "
    "type='hidden' var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></"
    "field><field type='text-single' label='Nickname' "
    "var='muc#register_roomnick'><required/></field></x></query></iq>";

std::string form_result(int i, std::size_t id_bytes) {
    std::string id = "get-" + std::to_string(i) + "-";
    id.resize(id_bytes, 'x');
    return "<iq from='" + std::string(kRoom) + "' id='" + id +
           "' type='result' to='eve@localhost/x'>" + std::string(kFormResultTail);
}

// A 1,000-byte JID.
std::string long_jid(int i) {
    std::string local = "j" + std::to_string(i) + "-";
    local.resize(980, 'j');
    return local + "@localhost/r";
}

void feed(offline::DeliverySession& session, Direction direction, const std::string& raw) {
    xml::ElementView top;
    REQUIRE(xml::parse_standalone(raw, top));
    xmpp::Decisions out;
    session.on_stanza(direction, xmpp::Stanza{top, raw}, xmpp::Moment(1s), out);
}

void join_flood(offline::DeliverySession& session, int n) {
    for (int i = 0; i < n; ++i) {
        feed(session, Direction::to_component,
             "<presence to='" + std::string(kRoom) + "/n" + std::to_string(i) + "' from='" +
                 long_jid(i) + "'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
    }
}

// What one join attempt of join_flood's accounts, measured on a link of its own.
std::size_t one_join_attempt_bytes() {
    offline::OfflineDelivery measured({}, "conference.localhost");
    offline::DeliverySession session(measured);
    join_flood(session, 1);
    return measured.pending_join_bytes();
}

// The MUC's presence for a joiner, without status 110 (only the remembered join tells it is
// the joiner's own).
void muc_presence(offline::DeliverySession& session, int i) {
    feed(session, Direction::to_server,
         "<presence from='" + std::string(kRoom) + "/n" + std::to_string(i) + "' to='" +
             long_jid(i) +
             "'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' "
             "role='participant'/></x></presence>");
}

}  // namespace

TEST_CASE("pending requests: 10,000 submits before any answer; whoever is told registered is") {
    Rig rig;
    const auto [registered, refused] = submit_all_then_answer(rig, 10000);
    // The default budget holds them all.
    CHECK(registered == 10000);
    CHECK(refused == 0);
    CHECK(rig.registrations.size() == 10000);
}

TEST_CASE("pending requests: a result after pending_ttl reaches the member as an error") {
    offline::Options options;
    options.pending_ttl = 5000ms;
    Rig rig(options);
    const std::string raw = submit(1);
    const Sent s = sent(rig, rig.from_server(raw, 10s), raw);
    REQUIRE(s.to_muc);

    SUBCASE("answered in time: the member's own id, registered") {
        const std::string result = answer("result", s.id, member(1) + "/phone");
        const Heard h = heard(rig, rig.from_component(result, 14999ms), result);
        CHECK(h.type == "result");
        CHECK(h.id == "reg-set-1");
        CHECK(rig.registrations.find(kRoom, member(1)) != nullptr);
    }
    SUBCASE("answered late") {
        const std::string result = answer("result", s.id, member(1) + "/phone");
        const Heard h = heard(rig, rig.from_component(result, 15001ms), result);
        CHECK(h.type == "error");
        CHECK(h.error_type == "wait");
        CHECK(h.error_condition == "resource-constraint");
        CHECK(h.id == "reg-set-1");
        CHECK(rig.registrations.size() == 0);
    }
    SUBCASE("purged by later traffic, then answered") {
        const std::string other = submit(2);
        rig.from_server(other, 16s);
        const std::string result = answer("result", s.id, member(1) + "/phone");
        const Heard h = heard(rig, rig.from_component(result, 16s), result);
        CHECK(h.type == "error");
        CHECK(h.id == "reg-set-1");
        CHECK(rig.registrations.find(kRoom, member(1)) == nullptr);
    }
    SUBCASE("refused late: the MUC's error passes, with the member's id") {
        const std::string error = answer("error", s.id, member(1) + "/phone");
        const Heard h = heard(rig, rig.from_component(error, 20s), error);
        CHECK(h.type == "error");
        CHECK(h.error_condition == "not-allowed");
        CHECK(h.id == "reg-set-1");
    }
}

TEST_CASE("pending requests: an id that merely looks marked answers its own sender only") {
    Rig rig;
    // mallory forges the mark on a submit without the field (forwarded as it came).
    const std::string raw =
        "<iq to='" + std::string(kRoom) +
        "' id='muc-offline-proxy~reg-set-1' from='mallory@localhost/x' type='set'><query "
        "xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field "
        "var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field><field "
        "var='muc#register_roomnick'><value>mallory</value></field></x></query></iq>";
    const Sent s = sent(rig, rig.from_server(raw, 1s), raw);
    REQUIRE(s.to_muc);
    CHECK(s.id == "muc-offline-proxy~reg-set-1");
    const std::string result = answer("result", s.id, "mallory@localhost/x");
    const Heard h = heard(rig, rig.from_component(result, 2s), result);
    CHECK(h.type == "result");
    CHECK(h.id == "muc-offline-proxy~reg-set-1");
    CHECK(rig.registrations.find(kRoom, "mallory@localhost") != nullptr);
    // An answer to such an id never seen: the error goes to whoever the MUC answers.
    const std::string stray = answer("result", "muc-offline-proxy~x", "mallory@localhost/x");
    rig.from_component(stray, 3s);
    for (const Decision& d : rig.out) {
        CHECK(d.direction == Direction::to_server);
        if (d.kind == Decision::Kind::inject) {
            CHECK(attribute_of(d.bytes, "to") == "mallory@localhost/x");
        }
    }
}

TEST_CASE("pending requests: a revocation is applied at the request, undone only on an error") {
    offline::Options options;
    options.pending_ttl = 5000ms;
    Rig rig(options);
    rig.registrations.set(kRoom, "bob@localhost", {"bob", true});

    SUBCASE("answered after the entry expired: bob stays removed") {
        const Sent s = sent(rig, rig.from_server(kBanBob, 10s), kBanBob);
        CHECK(s.to_muc);
        CHECK(rig.registrations.find(kRoom, "bob@localhost") == nullptr);
        rig.from_component(answer("result", "s1-ban-9", "alice@localhost/desk"), 16s);
        CHECK(rig.registrations.find(kRoom, "bob@localhost") == nullptr);
    }
    SUBCASE("never answered: bob stays removed") {
        rig.from_server(kBanBob, 10s);
        rig.from_server(submit(3), 20s);  // purges
        CHECK(rig.registrations.find(kRoom, "bob@localhost") == nullptr);
    }
    SUBCASE("refused by the MUC: bob's registration comes back as it was") {
        rig.from_server(kBanBob, 10s);
        CHECK(rig.registrations.find(kRoom, "bob@localhost") == nullptr);
        rig.from_component(answer("error", "s1-ban-9", "alice@localhost/desk"), 11s);
        REQUIRE(rig.registrations.find(kRoom, "bob@localhost") != nullptr);
        CHECK(*rig.registrations.find(kRoom, "bob@localhost") == Registration{"bob", true});
    }
    SUBCASE("a flood of register gets does not push it out before the MUC refuses it") {
        rig.from_server(kBanBob, 10s);
        for (int i = 0; i < 200; ++i) rig.from_server(register_get(i, 250 * 1024), 10s);
        rig.from_component(answer("error", "s1-ban-9", "alice@localhost/desk"), 11s);
        CHECK(rig.registrations.find(kRoom, "bob@localhost") != nullptr);
    }
    SUBCASE("bob's own <remove/>, answered late: removed") {
        rig.from_server(kBobRemove, 10s);
        CHECK(rig.registrations.find(kRoom, "bob@localhost") == nullptr);
        rig.from_component(answer("result", "s4-reg-remove-5", "bob@localhost/phone"), 16s);
        CHECK(rig.registrations.find(kRoom, "bob@localhost") == nullptr);
    }
    SUBCASE("bob's own <remove/>, refused: kept") {
        rig.from_server(kBobRemove, 10s);
        rig.from_component(answer("error", "s4-reg-remove-5", "bob@localhost/phone"), 11s);
        CHECK(rig.registrations.find(kRoom, "bob@localhost") != nullptr);
    }
}

TEST_CASE("pending requests: a flood of register gets with 250 KB ids keeps only the newest") {
    Rig rig;
    constexpr int kGets = 400;  // 100 MB of ids
    for (int i = 0; i < kGets; ++i) rig.from_server(register_get(i, 250 * 1024), 1s);
    // The oldest were evicted: the MUC's form for them passes without the field.
    CHECK_FALSE(rig.from_component(form_result(0, 250 * 1024), 2s));
    REQUIRE(rig.from_component(form_result(kGets - 1, 250 * 1024), 2s));
    CHECK(rig.out.begin()->bytes.find("tigase") != std::string::npos);
}

TEST_CASE("pending requests: a flood of joins with 1,000-byte JIDs keeps only the newest") {
    offline::OfflineDelivery delivery({}, "conference.localhost");
    offline::DeliverySession session(delivery);
    constexpr int kJoins = 20000;  // 20 MB of JIDs
    join_flood(session, kJoins);
    muc_presence(session, 0);
    muc_presence(session, kJoins - 1);
    CHECK_FALSE(delivery.occupancy().nick_of(kRoom, long_jid(0)));
    CHECK(delivery.occupancy().nick_of(kRoom, long_jid(kJoins - 1)) == "n19999");
}

TEST_CASE(
    "pending requests: a session asking again is one join attempt, the newest, with its "
    "new nick") {
    const std::size_t one_attempt = one_join_attempt_bytes();
    offline::Options options;
    options.max_pending_join_bytes = 3 * one_attempt + 2;  // room for three, and a longer nick
    offline::OfflineDelivery delivery(options, "conference.localhost");
    offline::DeliverySession session(delivery);
    join_flood(session, 3);
    const std::size_t bytes = delivery.pending_join_bytes();
    // Joiner 0 asks again, under another nick: still one attempt, now the newest.
    feed(session, Direction::to_component,
         "<presence to='" + std::string(kRoom) + "/n0b' from='" + long_jid(0) +
             "'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
    CHECK(delivery.pending_join_bytes() == bytes + 1);
    CHECK(delivery.pending_join_evictions() == 0);
    // A fourth joiner needs room: the oldest attempt goes, which is joiner 1's now.
    feed(session, Direction::to_component,
         "<presence to='" + std::string(kRoom) + "/n3' from='" + long_jid(3) +
             "'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
    CHECK(delivery.pending_join_evictions() == 1);
    muc_presence(session, 1);
    CHECK_FALSE(delivery.occupancy().nick_of(kRoom, long_jid(1)));
    // Joiner 0's attempt is known under the nick it asked for last.
    feed(session, Direction::to_server,
         "<presence from='" + std::string(kRoom) + "/n0b' to='" + long_jid(0) +
             "'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' "
             "role='participant'/></x></presence>");
    CHECK(delivery.occupancy().nick_of(kRoom, long_jid(0)) == "n0b");
    muc_presence(session, 3);
    CHECK(delivery.occupancy().nick_of(kRoom, long_jid(3)) == "n3");
}

TEST_CASE(
    "pending requests: occupants' status updates are no join attempts, and do not evict one") {
    const std::size_t one_attempt = one_join_attempt_bytes();
    offline::Options options;
    options.max_pending_join_bytes = 2 * one_attempt;  // room for two attempts
    offline::OfflineDelivery delivery(options, "conference.localhost");
    offline::DeliverySession session(delivery);
    // Joiners 0..9 join, each answered at once: in the room, no attempt left.
    for (int i = 0; i < 10; ++i) {
        feed(session, Direction::to_component,
             "<presence to='" + std::string(kRoom) + "/n" + std::to_string(i) + "' from='" +
                 long_jid(i) + "'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
        muc_presence(session, i);
    }
    REQUIRE(delivery.occupancy().sessions() == 10);
    CHECK(delivery.pending_join_bytes() == 0);
    // Joiner 10 asks to join and waits for the MUC's answer.
    feed(session, Direction::to_component,
         "<presence to='" + std::string(kRoom) + "/n10' from='" + long_jid(10) +
             "'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
    const std::size_t waiting = delivery.pending_join_bytes();
    CHECK(waiting > 0);
    // Meanwhile the others go away and come back, again and again, under their nicks.
    for (int round = 0; round < 50; ++round) {
        for (int i = 0; i < 10; ++i) {
            feed(session, Direction::to_component,
                 "<presence to='" + std::string(kRoom) + "/n" + std::to_string(i) + "' from='" +
                     long_jid(i) + "'><show>" + (round % 2 == 0 ? "away" : "chat") +
                     "</show></presence>");
        }
    }
    CHECK(delivery.pending_join_bytes() == waiting);
    CHECK(delivery.pending_join_evictions() == 0);
    // The answer still finds joiner 10's attempt (no status 110: only the attempt tells).
    muc_presence(session, 10);
    CHECK(delivery.occupancy().nick_of(kRoom, long_jid(10)) == "n10");
    // A session in the room asking for another nick is an attempt (a nick change) again.
    feed(session, Direction::to_component,
         "<presence to='" + std::string(kRoom) + "/renamed' from='" + long_jid(3) + "'/>");
    CHECK(delivery.pending_join_bytes() > 0);
}

// --- budgets (what the tables account) ------------------------------------------------------

TEST_CASE("pending requests: past the budget a submit is refused up front, nothing forwarded") {
    offline::Options options;
    options.max_pending_iq_bytes = 64 * 1024;
    Rig rig(options);
    const auto [registered, refused] = submit_all_then_answer(rig, 10000);
    CHECK(registered > 0);
    CHECK(refused > 0);
    CHECK(rig.flow.counters().refused_untracked == static_cast<std::uint64_t>(refused));
    CHECK(rig.registrations.size() == static_cast<std::size_t>(registered));
    CHECK(rig.flow.pending_bytes() == 0);
}

TEST_CASE("pending requests: a revocation that cannot be tracked is refused, nothing removed") {
    offline::Options options;
    options.max_pending_iq_bytes = 64 * 1024;
    Rig rig(options);
    rig.registrations.set(kRoom, "bob@localhost", {"bob", true});
    int i = 0;
    while (!sent(rig, rig.from_server(submit(i), 1s), submit(i)).refused) ++i;
    const Sent s = sent(rig, rig.from_server(kBanBob, 1s), kBanBob);
    CHECK(s.refused);
    CHECK_FALSE(s.to_muc);
    CHECK(s.error_type == "wait");
    CHECK(rig.registrations.find(kRoom, "bob@localhost") != nullptr);
}

TEST_CASE("pending requests: the table's bytes stay within the budget, evictions counted") {
    Rig rig;
    for (int i = 0; i < 400; ++i) {
        rig.from_server(register_get(i, 250 * 1024), 1s);
        CHECK(rig.flow.pending_bytes() <= rig.options.max_pending_iq_bytes);
    }
    CHECK(rig.flow.pending_bytes() > rig.options.max_pending_iq_bytes - 300 * 1024);
    CHECK(rig.flow.pending_evictions() > 360);

    offline::OfflineDelivery delivery({}, "conference.localhost");
    offline::DeliverySession session(delivery);
    join_flood(session, 20000);
    CHECK(delivery.pending_join_bytes() <= offline::Options{}.max_pending_join_bytes);
    CHECK(delivery.pending_join_bytes() > offline::Options{}.max_pending_join_bytes - 2048);
    CHECK(delivery.pending_join_evictions() > 12000);
    // Answered joins leave the table.
    muc_presence(session, 19999);
    CHECK(delivery.pending_join_bytes() < offline::Options{}.max_pending_join_bytes - 900);
}

TEST_CASE("pending requests: a lower budget on reload applies to the next request") {
    Rig rig;
    for (int i = 0; i < 8; ++i) rig.from_server(register_get(i, 250 * 1024), 1s);
    offline::Options smaller = rig.options;
    smaller.max_pending_iq_bytes = 300 * 1024;
    rig.flow.set_options(smaller);
    rig.from_server(register_get(8, 250 * 1024), 1s);
    CHECK(rig.flow.pending_bytes() <= smaller.max_pending_iq_bytes);
}
