// Room registration on the component link (issue 3, "Registration" and "Revocation"): the
// offline field in the MUC's form and disco#info, submits committed only on the MUC's result,
// the proxy's own answers in standalone mode, and revocations. Stanzas are copied verbatim
// from tests/replay/captures unless a comment says otherwise.
#include "offline/registration_flow.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "offline/pending_iqs.hpp"
#include "support/flow_rig.hpp"
#include "xml/standalone.hpp"
#include "xmpp/stanza_tree.hpp"

namespace {

using namespace std::chrono_literals;
using offline::Registration;
using xmpp::Decision;
using xmpp::Direction;

// prosody-muc/P1-disco.jsonl
constexpr std::string_view kP1DiscoServiceResult =
    R"xml(<iq to='bob@localhost/phone' id='p1-disco-info-service-2' type='result' from='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='conference' name='Prosody Chatrooms' type='text'/><feature var='http://jabber.org/protocol/muc#unique'/><feature var='http://jabber.org/protocol/commands'/><feature var='http://jabber.org/protocol/disco#info'/><feature var='http://jabber.org/protocol/disco#items'/><feature var='urn:xmpp:occupant-id:0'/><feature var='http://jabber.org/protocol/muc'/></query></iq>)xml";
constexpr std::string_view kP1DiscoRoomResult =
    R"xml(<iq to='bob@localhost/phone' id='p1-disco-info-room-3' type='result' from='p1-disco@conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='http://jabber.org/protocol/muc#request'/><feature var='jabber:iq:register'/><feature var='muc_open'/><feature var='muc_unmoderated'/><feature var='muc_semianonymous'/><feature var='muc_unsecured'/><feature var='muc_hidden'/><feature var='http://jabber.org/protocol/muc'/><feature var='http://jabber.org/protocol/muc#stable_id'/><feature var='http://jabber.org/protocol/muc#self-ping-optimization'/><feature var='urn:xmpp:occupant-id:0'/><feature var='muc_temporary'/><identity category='conference' type='text'/><x xmlns='jabber:x:data' type='result'><field type='hidden' var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roominfo</value></field><field type='text-single' var='muc#roominfo_lang'><value>en</value></field><field type='text-single' label='Number of occupants' var='muc#roominfo_occupants'><value>1</value></field><field type='boolean' label='Allow members to invite new members' var='{http://prosody.im/protocol/muc}roomconfig_allowmemberinvites'><value>0</value></field><field type='boolean' label='Allow users to invite other users' var='muc#roomconfig_allowinvites'><value>1</value></field><field type='text-single' label='Description' var='muc#roominfo_description'><value/></field><field type='boolean' var='muc#roomconfig_changesubject'/><field type='text-single' label='Title' var='muc#roomconfig_roomname'/></x></query></iq>)xml";
constexpr std::string_view kP1RegGetService =
    R"xml(<iq to='conference.localhost' id='p1-reg-get-service-4' from='bob@localhost/phone' xml:lang='en' type='get'><query xmlns='jabber:iq:register'/></iq>)xml";
constexpr std::string_view kP1RegGetServiceError =
    R"xml(<iq to='bob@localhost/phone' id='p1-reg-get-service-4' type='error' from='conference.localhost'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>)xml";
constexpr std::string_view kP1RegGet =
    R"xml(<iq to='p1-disco@conference.localhost' id='p1-reg-get-5' from='bob@localhost/phone' xml:lang='en' type='get'><query xmlns='jabber:iq:register'/></iq>)xml";
constexpr std::string_view kP1RegGetResult =
    R"xml(<iq to='bob@localhost/phone' id='p1-reg-get-5' type='result' from='p1-disco@conference.localhost'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='form'><field type='hidden' var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field><field type='text-single' label='Nickname' var='muc#register_roomnick'><required/></field></x></query></iq>)xml";
constexpr std::string_view kP1RegSet =
    R"xml(<iq to='p1-disco@conference.localhost' id='p1-reg-set-6' from='bob@localhost/phone' xml:lang='en' type='set'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick'><value>bob</value></field><field var='{http://tigase.org/protocol/muc}offline'><value>1</value></field></x></query></iq>)xml";
constexpr std::string_view kP1RegSetResult =
    R"xml(<iq to='bob@localhost/phone' id='p1-reg-set-6' type='result' from='p1-disco@conference.localhost'/>)xml";
constexpr std::string_view kP1RegGetAgain =
    R"xml(<iq to='p1-disco@conference.localhost' id='p1-reg-get-7' from='bob@localhost/phone' xml:lang='en' type='get'><query xmlns='jabber:iq:register'/></iq>)xml";
constexpr std::string_view kP1RegGetAgainResult =
    R"xml(<iq to='bob@localhost/phone' id='p1-reg-get-7' type='result' from='p1-disco@conference.localhost'><query xmlns='jabber:iq:register'><registered/><username>bob</username></query></iq>)xml";
constexpr std::string_view kP1ReservedNickResult =
    R"xml(<iq to='bob@localhost/phone' id='p1-disco-reserved-nick-8' type='result' from='p1-disco@conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'><identity category='conference' name='bob' type='text'/></query></iq>)xml";
// prosody-muc/S0-unaffiliated.jsonl
constexpr std::string_view kS0RegSet =
    R"xml(<iq to='s0-unaffiliated@conference.localhost' id='s0-reg-set-3' from='bob@localhost/phone' xml:lang='en' type='set'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick'><value>bob</value></field><field var='{http://tigase.org/protocol/muc}offline'><value>true</value></field></x></query></iq>)xml";
constexpr std::string_view kS0RegSetError =
    R"xml(<iq from='s0-unaffiliated@conference.localhost' type='error' id='s0-reg-set-3' to='bob@localhost/phone'><error type='auth'><registration-required xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>)xml";
// prosody-muc/S1-optin.jsonl
constexpr std::string_view kS1InstantConfig =
    R"xml(<iq to='s1-optin@conference.localhost' id='s1-instant-room-config-1' from='alice@localhost/desk' xml:lang='en' type='set'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>)xml";
constexpr std::string_view kS1InstantConfigResult =
    R"xml(<iq from='s1-optin@conference.localhost' id='s1-instant-room-config-1' type='result' to='alice@localhost/desk'/>)xml";
constexpr std::string_view kS1RegGet =
    R"xml(<iq to='s1-optin@conference.localhost' id='s1-reg-get-2' from='bob@localhost/phone' xml:lang='en' type='get'><query xmlns='jabber:iq:register'/></iq>)xml";
constexpr std::string_view kS1RegGetResult =
    R"xml(<iq from='s1-optin@conference.localhost' id='s1-reg-get-2' type='result' to='bob@localhost/phone'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='form'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick' type='text-single' label='Nickname'><required/></field></x></query></iq>)xml";
constexpr std::string_view kS1RegSet =
    R"xml(<iq to='s1-optin@conference.localhost' id='s1-reg-set-3' from='bob@localhost/phone' xml:lang='en' type='set'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick'><value>bob</value></field><field var='{http://tigase.org/protocol/muc}offline'><value>true</value></field></x></query></iq>)xml";
constexpr std::string_view kS1RegSetResult =
    R"xml(<iq from='s1-optin@conference.localhost' id='s1-reg-set-3' type='result' to='bob@localhost/phone'/>)xml";
// prosody-muc/S4-remove.jsonl
constexpr std::string_view kS4RegSet =
    R"xml(<iq to='s4-remove@conference.localhost' id='s4-reg-set-3' from='bob@localhost/phone' xml:lang='en' type='set'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick'><value>bob</value></field><field var='{http://tigase.org/protocol/muc}offline'><value>true</value></field></x></query></iq>)xml";
constexpr std::string_view kS4RegSetResult =
    R"xml(<iq type='result' from='s4-remove@conference.localhost' to='bob@localhost/phone' id='s4-reg-set-3'/>)xml";
constexpr std::string_view kS4RegRemove =
    R"xml(<iq to='s4-remove@conference.localhost' id='s4-reg-remove-5' from='bob@localhost/phone' xml:lang='en' type='set'><query xmlns='jabber:iq:register'><remove/></query></iq>)xml";
constexpr std::string_view kS4RegRemoveResult =
    R"xml(<iq type='result' from='s4-remove@conference.localhost' to='bob@localhost/phone' id='s4-reg-remove-5'/>)xml";
constexpr std::string_view kS4RegGet =
    R"xml(<iq to='s4-remove@conference.localhost' id='s4-reg-get-6' from='bob@localhost/phone' xml:lang='en' type='get'><query xmlns='jabber:iq:register'/></iq>)xml";
constexpr std::string_view kS4RegGetResult =
    R"xml(<iq type='result' from='s4-remove@conference.localhost' to='bob@localhost/phone' id='s4-reg-get-6'><query xmlns='jabber:iq:register'><x type='form' xmlns='jabber:x:data'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick' type='text-single' label='Nickname'><required/></field></x></query></iq>)xml";
// prosody-muc/S5-optout.jsonl
constexpr std::string_view kS5RegSetIn =
    R"xml(<iq to='s5-optout@conference.localhost' id='s5-reg-set-3' from='bob@localhost/phone' xml:lang='en' type='set'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick'><value>bob</value></field><field var='{http://tigase.org/protocol/muc}offline'><value>true</value></field></x></query></iq>)xml";
constexpr std::string_view kS5RegSetInResult =
    R"xml(<iq to='bob@localhost/phone' id='s5-reg-set-3' type='result' from='s5-optout@conference.localhost'/>)xml";
constexpr std::string_view kS5RegGet =
    R"xml(<iq to='s5-optout@conference.localhost' id='s5-reg-get-5' from='bob@localhost/phone' xml:lang='en' type='get'><query xmlns='jabber:iq:register'/></iq>)xml";
constexpr std::string_view kS5RegGetResult =
    R"xml(<iq to='bob@localhost/phone' id='s5-reg-get-5' type='result' from='s5-optout@conference.localhost'><query xmlns='jabber:iq:register'><registered/><username>bob</username></query></iq>)xml";
constexpr std::string_view kS5RegSetOut =
    R"xml(<iq to='s5-optout@conference.localhost' id='s5-reg-set-6' from='bob@localhost/phone' xml:lang='en' type='set'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick'><value>bob</value></field><field var='{http://tigase.org/protocol/muc}offline'><value>false</value></field></x></query></iq>)xml";
constexpr std::string_view kS5RegSetOutResult =
    R"xml(<iq to='bob@localhost/phone' id='s5-reg-set-6' type='result' from='s5-optout@conference.localhost'/>)xml";
// prosody-muc-ref/P1-disco.jsonl
constexpr std::string_view kRefP1RegGet =
    R"xml(<iq to='p1-disco@conference.localhost' id='p1-reg-get-5' from='bob@localhost/phone' xml:lang='en' type='get'><query xmlns='jabber:iq:register'/></iq>)xml";
constexpr std::string_view kRefP1RegGetResult =
    R"xml(<iq to='bob@localhost/phone' from='p1-disco@conference.localhost' type='result' id='p1-reg-get-5'><query xmlns='jabber:iq:register'><x type='form' xmlns='jabber:x:data'><field type='hidden' var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field><field type='text-single' label='Nickname' var='muc#register_roomnick'><required/></field><field type='boolean' label='Receive messages while not connected to the room' var='{http://tigase.org/protocol/muc}offline'><value>0</value></field></x></query></iq>)xml";
constexpr std::string_view kRefP1RegSet =
    R"xml(<iq to='p1-disco@conference.localhost' id='p1-reg-set-6' from='bob@localhost/phone' xml:lang='en' type='set'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick'><value>bob</value></field><field var='{http://tigase.org/protocol/muc}offline'><value>1</value></field></x></query></iq>)xml";
constexpr std::string_view kRefP1RegSetResult =
    R"xml(<iq to='bob@localhost/phone' from='p1-disco@conference.localhost' type='result' id='p1-reg-set-6'/>)xml";
constexpr std::string_view kRefP1DiscoRoomResult =
    R"xml(<iq to='bob@localhost/phone' from='p1-disco@conference.localhost' type='result' id='p1-disco-info-room-3'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='muc_semianonymous'/><feature var='urn:xmpp:occupant-id:0'/><feature var='muc_open'/><feature var='muc_unmoderated'/><feature var='http://jabber.org/protocol/muc#request'/><feature var='muc_unsecured'/><identity type='text' category='conference'/><feature var='muc_hidden'/><feature var='muc_temporary'/><feature var='http://jabber.org/protocol/muc'/><feature var='http://jabber.org/protocol/muc#stable_id'/><feature var='http://jabber.org/protocol/muc#self-ping-optimization'/><feature var='jabber:iq:register'/><x type='result' xmlns='jabber:x:data'><field type='hidden' var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roominfo</value></field><field type='boolean' label='Allow members to invite new members' var='{http://prosody.im/protocol/muc}roomconfig_allowmemberinvites'><value>0</value></field><field type='boolean' label='Allow users to invite other users' var='muc#roomconfig_allowinvites'><value>1</value></field><field type='text-single' label='Description' var='muc#roominfo_description'><value/></field><field type='text-single' label='Number of occupants' var='muc#roominfo_occupants'><value>1</value></field><field type='text-single' label='Title' var='muc#roomconfig_roomname'/><field type='boolean' var='muc#roomconfig_changesubject'/><field type='text-single' var='muc#roominfo_lang'><value>en</value></field></x></query></iq>)xml";
// mu-conference/S1-optin.jsonl
constexpr std::string_view kMucS1RegGet =
    R"xml(<iq to='s1-optin@conference.localhost' id='s1-reg-get-2' from='bob@localhost/phone' xml:lang='en' type='get'><query xmlns='jabber:iq:register'/></iq>)xml";
constexpr std::string_view kMucS1RegSet =
    R"xml(<iq to='s1-optin@conference.localhost' id='s1-reg-set-3' from='bob@localhost/phone' xml:lang='en' type='set'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick'><value>bob</value></field><field var='{http://tigase.org/protocol/muc}offline'><value>true</value></field></x></query></iq>)xml";
// mu-conference/P1-disco.jsonl
constexpr std::string_view kMucP1DiscoServiceResult =
    R"xml(<iq to='bob@localhost/phone' id='p1-disco-info-service-2' from='conference.localhost' xml:lang='en' type='result'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='conference' type='text' name='Public Chatrooms'/><feature var='http://jabber.org/protocol/muc'/><feature var='http://jabber.org/protocol/muc#unique'/><feature var='http://jabber.org/protocol/disco'/><feature var='jabber:iq:browse'/><feature var='jabber:iq:register'/><feature var='jabber:iq:version'/><feature var='jabber:iq:time'/><feature var='jabber:iq:last'/><feature var='vcard-temp'/><feature var='urn:xmpp:ping'/></query></iq>)xml";
constexpr std::string_view kMucP1DiscoRoomResult =
    R"xml(<iq to='bob@localhost/phone' id='p1-disco-info-room-3' from='p1-disco@conference.localhost' xml:lang='en' type='result'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='conference' type='text' name='p1-disco'/><feature var='http://jabber.org/protocol/muc'/><feature var='http://jabber.org/protocol/disco'/><feature var='jabber:iq:browse'/><feature var='jabber:iq:version'/><feature var='jabber:iq:last'/><feature var='jabber:iq:time'/><feature var='vcard-temp'/><feature var='muc_unsecure'/><feature var='muc_public'/><feature var='muc_temporary'/><feature var='muc_open'/><feature var='muc_unmoderated'/><feature var='muc_semianonymous'/><x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#roominfo</value></field><field var='muc#roominfo_description' label='Description'><value>p1-disco</value></field><field var='muc#roominfo_occupants' label='Number of occupants'><value>1</value></field></x></query></iq>)xml";

constexpr char kOfflineVar[] = "{http://tigase.org/protocol/muc}offline";
constexpr char kOfflineFeature[] = "http://tigase.org/protocol/muc#offline";
constexpr char kOfflineLabel[] = "Receive messages while not connected to the room";
constexpr char kXmlNs[] = "http://www.w3.org/XML/1998/namespace";

// One flow with its state, fed whole stanzas as the relay would.
struct Rig : test_support::FlowRig {
    using FlowRig::FlowRig;

    // The only decision, which must be of `kind` toward `direction`.
    const Decision& single(Decision::Kind kind, Direction direction) const {
        REQUIRE(out.size() == 1);
        const Decision& d = *out.begin();
        REQUIRE(d.kind == kind);
        REQUIRE(d.direction == direction);
        if (kind == Decision::Kind::forward_rewritten || kind == Decision::Kind::inject) {
            // What the proxy writes must frame as one stanza of the component stream.
            xml::ElementView written;
            REQUIRE(xml::parse_standalone(d.bytes, written));
            CHECK(written.name.local == "iq");
        }
        return d;
    }
    const Registration* find(std::string_view room,
                             std::string_view member = "bob@localhost") const {
        return registrations.find(room, member);
    }
};

xmpp::StanzaTree parse(std::string_view bytes) {
    auto tree = xmpp::StanzaTree::parse(bytes);
    REQUIRE(tree);
    return std::move(*tree);
}

struct Field {
    std::string type;
    std::string label;
    std::vector<std::string> values;
    bool required = false;
};

// The fields of the data form in an iq's jabber:iq:register query, in document order.
std::vector<std::pair<std::string, Field>> register_fields(const xmpp::StanzaTree& iq) {
    xmpp_stanza_t* query = xmpp::child(iq.root(), "query", "jabber:iq:register");
    xmpp_stanza_t* form = xmpp::child(query, "x", "jabber:x:data");
    REQUIRE(form != nullptr);
    std::vector<std::pair<std::string, Field>> fields;
    for (xmpp_stanza_t* c = xmpp_stanza_get_children(form); c != nullptr;
         c = xmpp_stanza_get_next(c)) {
        if (!xmpp_stanza_is_tag(c) || std::string_view(xmpp_stanza_get_name(c)) != "field")
            continue;
        Field field{xmpp::attribute(c, "type"), xmpp::attribute(c, "label"), {}, false};
        for (xmpp_stanza_t* v = xmpp_stanza_get_children(c); v != nullptr;
             v = xmpp_stanza_get_next(v)) {
            if (!xmpp_stanza_is_tag(v)) continue;
            const std::string_view name = xmpp_stanza_get_name(v);
            if (name == "value") field.values.push_back(xmpp::text_of(v));
            if (name == "required") field.required = true;
        }
        fields.emplace_back(xmpp::attribute(c, "var"), std::move(field));
    }
    return fields;
}

std::vector<std::string> field_vars(const xmpp::StanzaTree& iq) {
    std::vector<std::string> vars;
    for (const auto& [var, field] : register_fields(iq)) vars.push_back(var);
    return vars;
}

Field field_of(const xmpp::StanzaTree& iq, std::string_view var) {
    for (auto& [name, field] : register_fields(iq)) {
        if (name == var) return field;
    }
    FAIL("no field " << var);
    return {};
}

std::vector<std::string> features(const xmpp::StanzaTree& iq) {
    xmpp_stanza_t* query = xmpp::child(iq.root(), "query", "http://jabber.org/protocol/disco#info");
    REQUIRE(query != nullptr);
    std::vector<std::string> vars;
    for (xmpp_stanza_t* c = xmpp_stanza_get_children(query); c != nullptr;
         c = xmpp_stanza_get_next(c)) {
        if (xmpp_stanza_is_tag(c) && std::string_view(xmpp_stanza_get_name(c)) == "feature") {
            vars.push_back(xmpp::attribute(c, "var"));
        }
    }
    return vars;
}

std::size_t count(const std::vector<std::string>& items, std::string_view item) {
    return static_cast<std::size_t>(std::count(items.begin(), items.end(), item));
}

// The addressing of an iq, as the tree reads it.
void check_iq(const xmpp::StanzaTree& iq, std::string_view type, std::string_view from,
              std::string_view to, std::string_view id) {
    CHECK(std::string_view(xmpp_stanza_get_name(iq.root())) == "iq");
    CHECK(xmpp::attribute(iq.root(), "type") == type);
    CHECK(xmpp::attribute(iq.root(), "from") == from);
    CHECK(xmpp::attribute(iq.root(), "to") == to);
    CHECK(xmpp::attribute(iq.root(), "id") == id);
}

// The xml:lang of a stanza's top element, read by the framer (namespace-aware).
std::string xml_lang(std::string_view bytes) {
    xml::ElementView top;
    REQUIRE(xml::parse_standalone(bytes, top));
    for (const xml::Attribute& a : top.attributes()) {
        if (a.name.ns == kXmlNs && a.name.local == "lang") return std::string(a.value);
    }
    return {};
}

// The condition and text of an injected iq error.
struct ErrorSeen {
    std::string type;
    std::string condition;
    std::string text;
};
ErrorSeen error_of(const xmpp::StanzaTree& iq) {
    xmpp_stanza_t* error = xmpp::child(iq.root(), "error", nullptr);
    REQUIRE(error != nullptr);
    ErrorSeen seen{xmpp::attribute(error, "type"), {}, {}};
    for (xmpp_stanza_t* c = xmpp_stanza_get_children(error); c != nullptr;
         c = xmpp_stanza_get_next(c)) {
        if (!xmpp_stanza_is_tag(c)) continue;
        CHECK(xmpp::attribute(c, "xmlns") == "urn:ietf:params:xml:ns:xmpp-stanzas");
        const std::string name = xmpp_stanza_get_name(c);
        if (name == "text") {
            seen.text = xmpp::text_of(c);
        } else {
            seen.condition = name;
        }
    }
    return seen;
}

offline::Options standalone() {
    offline::Options options;
    options.registration = offline::RegistrationMode::standalone;
    return options;
}

}  // namespace

// --- augment: the register form ---------------------------------------------------------------

TEST_CASE("registration augment: the MUC's form gets the offline field, valued with the default") {
    Rig rig;
    CHECK_FALSE(rig.from_server(kS1RegGet));
    CHECK(rig.out.size() == 0);
    REQUIRE(rig.from_component(kS1RegGetResult));
    const auto& d = rig.single(Decision::Kind::forward_rewritten, Direction::to_server);
    const auto iq = parse(d.bytes);
    check_iq(iq, "result", "s1-optin@conference.localhost", "bob@localhost/phone", "s1-reg-get-2");
    CHECK(field_vars(iq) ==
          std::vector<std::string>{"FORM_TYPE", "muc#register_roomnick", kOfflineVar});
    CHECK(field_of(iq, "FORM_TYPE").values ==
          std::vector<std::string>{"http://jabber.org/protocol/muc#register"});
    const Field nick = field_of(iq, "muc#register_roomnick");
    CHECK(nick.required);
    CHECK(nick.label == "Nickname");
    const Field offline = field_of(iq, kOfflineVar);
    CHECK(offline.type == "boolean");
    CHECK(offline.label == kOfflineLabel);
    CHECK(offline.values == std::vector<std::string>{"0"});
    CHECK(rig.flow.counters().forms_augmented == 1);

    SUBCASE("a configured default of true shows as 1") {
        offline::Options options;
        options.offline_default = true;
        Rig on(options);
        CHECK_FALSE(on.from_server(kS1RegGet));
        REQUIRE(on.from_component(kS1RegGetResult));
        const auto& rewritten = on.single(Decision::Kind::forward_rewritten, Direction::to_server);
        CHECK(field_of(parse(rewritten.bytes), kOfflineVar).values ==
              std::vector<std::string>{"1"});
    }
}

TEST_CASE("registration augment: the form shows the member's current choice") {
    Rig rig;
    rig.registrations.set("s4-remove@conference.localhost", "bob@localhost", {"bob", true});
    CHECK_FALSE(rig.from_server(kS4RegGet));
    REQUIRE(rig.from_component(kS4RegGetResult));
    const auto& d = rig.single(Decision::Kind::forward_rewritten, Direction::to_server);
    CHECK(field_of(parse(d.bytes), kOfflineVar).values == std::vector<std::string>{"1"});
}

TEST_CASE("registration augment: a form answer the proxy did not see asked for passes untouched") {
    Rig rig;
    CHECK_FALSE(rig.from_component(kS1RegGetResult));
    CHECK(rig.out.size() == 0);
    // Asked by someone else (alice), answered to bob: not the same request.
    CHECK_FALSE(rig.from_server(
        R"xml(<iq to='s1-optin@conference.localhost' id='s1-reg-get-2' from='alice@localhost/desk' xml:lang='en' type='get'><query xmlns='jabber:iq:register'/></iq>)xml"));
    CHECK_FALSE(rig.from_component(kS1RegGetResult));
    CHECK(rig.flow.counters().forms_augmented == 0);
}

TEST_CASE(
    "registration augment: <registered/> without a form gets a form with the nick and field") {
    Rig rig;
    rig.registrations.set("p1-disco@conference.localhost", "bob@localhost", {"bob", true});
    CHECK_FALSE(rig.from_server(kP1RegGetAgain));
    REQUIRE(rig.from_component(kP1RegGetAgainResult));
    const auto& d = rig.single(Decision::Kind::forward_rewritten, Direction::to_server);
    const auto iq = parse(d.bytes);
    check_iq(iq, "result", "p1-disco@conference.localhost", "bob@localhost/phone", "p1-reg-get-7");
    xmpp_stanza_t* query = xmpp::child(iq.root(), "query", "jabber:iq:register");
    CHECK(xmpp::child(query, "registered", nullptr) != nullptr);
    CHECK(xmpp::text_of(xmpp::child(query, "username", nullptr)) == "bob");
    CHECK(xmpp::attribute(xmpp::child(query, "x", "jabber:x:data"), "type") == "form");
    CHECK(field_vars(iq) ==
          std::vector<std::string>{"FORM_TYPE", "muc#register_roomnick", kOfflineVar});
    CHECK(field_of(iq, "FORM_TYPE").type == "hidden");
    CHECK(field_of(iq, "FORM_TYPE").values ==
          std::vector<std::string>{"http://jabber.org/protocol/muc#register"});
    CHECK(field_of(iq, "muc#register_roomnick").values == std::vector<std::string>{"bob"});
    CHECK(field_of(iq, kOfflineVar).type == "boolean");
    CHECK(field_of(iq, kOfflineVar).values == std::vector<std::string>{"1"});
    CHECK(rig.flow.counters().forms_augmented == 1);

    SUBCASE("without <username>, the nick comes from the registration") {
        Rig other;
        other.registrations.set("p1-disco@conference.localhost", "bob@localhost", {"bobby", false});
        CHECK_FALSE(other.from_server(kP1RegGetAgain));
        // kP1RegGetAgainResult without its <username> (not in a capture).
        REQUIRE(other.from_component(
            R"xml(<iq to='bob@localhost/phone' id='p1-reg-get-7' type='result' from='p1-disco@conference.localhost'><query xmlns='jabber:iq:register'><registered/></query></iq>)xml"));
        const auto& rewritten =
            other.single(Decision::Kind::forward_rewritten, Direction::to_server);
        const auto answer = parse(rewritten.bytes);
        CHECK(field_of(answer, "muc#register_roomnick").values ==
              std::vector<std::string>{"bobby"});
        CHECK(field_of(answer, kOfflineVar).values == std::vector<std::string>{"0"});
    }
}

TEST_CASE(
    "registration augment: a MUC whose form has the field is native, left alone, noted once") {
    Rig rig;
    CHECK_FALSE(rig.from_server(kRefP1RegGet));
    REQUIRE(rig.from_component(kRefP1RegGetResult));
    REQUIRE(rig.out.size() == 2);
    std::vector<Decision> decisions(rig.out.begin(), rig.out.end());
    CHECK(decisions[0].kind == Decision::Kind::forward);  // untouched
    CHECK(decisions[0].direction == Direction::to_server);
    CHECK(decisions[1].kind == Decision::Kind::note);
    CHECK(decisions[1].bytes.find("p1-disco@conference.localhost") != std::string::npos);
    CHECK(rig.flow.is_native("p1-disco@conference.localhost"));
    CHECK_FALSE(rig.flow.is_native("s1-optin@conference.localhost"));
    CHECK(rig.flow.counters().native_rooms == 1);
    CHECK(rig.flow.counters().forms_augmented == 0);

    // A second member's form, asked for before the first answer came: no second note.
    Rig two;
    CHECK_FALSE(two.from_server(kRefP1RegGet));
    // kRefP1RegGet and its answer for alice (not in a capture).
    CHECK_FALSE(two.from_server(
        R"xml(<iq to='p1-disco@conference.localhost' id='p1-reg-get-5' from='alice@localhost/desk' xml:lang='en' type='get'><query xmlns='jabber:iq:register'/></iq>)xml"));
    REQUIRE(two.from_component(kRefP1RegGetResult));
    CHECK(two.out.size() == 2);
    CHECK_FALSE(two.from_component(
        R"xml(<iq to='alice@localhost/desk' from='p1-disco@conference.localhost' type='result' id='p1-reg-get-5'><query xmlns='jabber:iq:register'><x type='form' xmlns='jabber:x:data'><field type='hidden' var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field><field type='text-single' label='Nickname' var='muc#register_roomnick'><required/></field><field type='boolean' label='Receive messages while not connected to the room' var='{http://tigase.org/protocol/muc}offline'><value>0</value></field></x></query></iq>)xml"));
    CHECK(two.out.size() == 0);  // forwarded unchanged by the caller, no second note
    CHECK(two.flow.counters().native_rooms == 1);

    // Again: no second note, nothing rewritten.
    CHECK_FALSE(rig.from_server(kRefP1RegGet));
    CHECK_FALSE(rig.from_component(kRefP1RegGetResult));
    CHECK(rig.out.size() == 0);
    CHECK(rig.flow.counters().native_rooms == 1);

    // Its submits reach the MUC as sent and commit nothing here; its disco#info is untouched.
    CHECK_FALSE(rig.from_server(kRefP1RegSet));
    CHECK(rig.out.size() == 0);
    CHECK_FALSE(rig.from_component(kRefP1RegSetResult));
    CHECK(rig.registrations.size() == 0);
    CHECK_FALSE(rig.from_component(kRefP1DiscoRoomResult));
    CHECK(rig.out.size() == 0);
}

// --- augment: disco#info --------------------------------------------------------------------

TEST_CASE("registration augment: node-less disco#info of the service and rooms gets the feature") {
    Rig rig;
    for (std::string_view result : {kP1DiscoServiceResult, kP1DiscoRoomResult}) {
        CAPTURE(result);
        const auto before = features(parse(result));
        REQUIRE(rig.from_component(result));
        const auto& d = rig.single(Decision::Kind::forward_rewritten, Direction::to_server);
        const auto iq = parse(d.bytes);
        const auto after = features(iq);
        CHECK(count(after, kOfflineFeature) == 1);
        CHECK(after.size() == before.size() + 1);
        for (const auto& var : before) CHECK(count(after, var) == 1);
        xmpp_stanza_t* query =
            xmpp::child(iq.root(), "query", "http://jabber.org/protocol/disco#info");
        CHECK(xmpp::child(query, "identity", nullptr) != nullptr);
        // Fed its own output again, nothing is added twice.
        CHECK_FALSE(rig.from_component(d.bytes));
    }
    // The room's extended info form is kept whole.
    REQUIRE(rig.from_component(kP1DiscoRoomResult));
    const auto room = parse(rig.out.begin()->bytes);
    xmpp_stanza_t* info =
        xmpp::child(xmpp::child(room.root(), "query", nullptr), "x", "jabber:x:data");
    REQUIRE(info != nullptr);
    int fields = 0;
    for (xmpp_stanza_t* c = xmpp_stanza_get_children(info); c != nullptr;
         c = xmpp_stanza_get_next(c)) {
        ++fields;
    }
    CHECK(fields == 8);
}

TEST_CASE("registration augment: disco#info with a node (x-roomuser-item) passes untouched") {
    Rig rig;
    CHECK_FALSE(rig.from_component(kP1ReservedNickResult));
    CHECK(rig.out.size() == 0);
}

TEST_CASE("registration augment: rooms do not get jabber:iq:register added") {
    Rig rig;
    REQUIRE(rig.from_component(kMucP1DiscoRoomResult));
    const auto after = features(parse(rig.out.begin()->bytes));
    CHECK(count(after, "jabber:iq:register") == 0);
    CHECK(count(after, kOfflineFeature) == 1);
}

// --- augment: submit, commit, discard, expiry -----------------------------------------------

TEST_CASE("registration augment: a submit is kept pending, stripped, and committed on result") {
    Rig rig;
    REQUIRE(rig.from_server(kP1RegSet, 1s));
    const auto& d = rig.single(Decision::Kind::forward_rewritten, Direction::to_component);
    const auto iq = parse(d.bytes);
    // Its id is marked, so that an answer after the proxy forgot it is still recognised.
    check_iq(iq, "set", "bob@localhost/phone", "p1-disco@conference.localhost",
             "muc-offline-proxy~p1-reg-set-6");
    CHECK(xml_lang(d.bytes) == "en");
    CHECK(xmpp::attribute(xmpp::child(xmpp::child(iq.root(), "query", nullptr), "x", nullptr),
                          "type") == "submit");
    CHECK(field_vars(iq) == std::vector<std::string>{"FORM_TYPE", "muc#register_roomnick"});
    CHECK(field_of(iq, "muc#register_roomnick").values == std::vector<std::string>{"bob"});
    CHECK(d.bytes.find("tigase") == std::string::npos);

    // Nothing is committed before the MUC says yes; the member gets its own id back.
    CHECK(rig.registrations.size() == 0);
    REQUIRE(rig.from_component(
        R"xml(<iq to='bob@localhost/phone' id='muc-offline-proxy~p1-reg-set-6' type='result' from='p1-disco@conference.localhost'/>)xml",
        2s));
    CHECK(rig.single(Decision::Kind::forward_rewritten, Direction::to_server).bytes ==
          kP1RegSetResult);
    const Registration* committed = rig.find("p1-disco@conference.localhost");
    REQUIRE(committed != nullptr);
    CHECK(*committed == Registration{"bob", true});
    CHECK(rig.flow.counters().committed == 1);

    SUBCASE(
        "with strip_field off the submit goes to the MUC as it came but for its marked id, "
        "and still commits") {
        offline::Options options;
        options.strip_field = false;
        Rig keep(options);
        REQUIRE(keep.from_server(kS1RegSet));
        std::string marked(kS1RegSet);
        marked.replace(marked.find("s1-reg-set-3"), 0, "muc-offline-proxy~");
        CHECK(keep.single(Decision::Kind::forward_rewritten, Direction::to_component).bytes ==
              marked);
        CHECK(keep.registrations.size() == 0);
        CHECK_FALSE(keep.from_component(kS1RegSetResult));
        REQUIRE(keep.find("s1-optin@conference.localhost") != nullptr);
        CHECK(*keep.find("s1-optin@conference.localhost") == Registration{"bob", true});
    }
}

TEST_CASE("registration augment: a submit answered with an error is discarded") {
    Rig rig;
    REQUIRE(rig.from_server(kS0RegSet));
    CHECK_FALSE(rig.from_component(kS0RegSetError));
    CHECK(rig.out.size() == 0);
    CHECK(rig.registrations.size() == 0);
    CHECK(rig.flow.counters().refused == 1);
    CHECK(rig.flow.counters().committed == 0);
}

TEST_CASE("registration augment: a submit the MUC answers after pending_ttl is forgotten") {
    offline::Options options;
    options.pending_ttl = 5000ms;
    SUBCASE("answered in time") {
        Rig rig(options);
        REQUIRE(rig.from_server(kS1RegSet, 10s));
        CHECK_FALSE(rig.from_component(kS1RegSetResult, 14999ms));
        CHECK(rig.find("s1-optin@conference.localhost") != nullptr);
    }
    SUBCASE("answered late") {
        Rig rig(options);
        REQUIRE(rig.from_server(kS1RegSet, 10s));
        CHECK_FALSE(rig.from_component(kS1RegSetResult, 15001ms));
        CHECK(rig.registrations.size() == 0);
        CHECK(rig.flow.counters().committed == 0);
    }
    SUBCASE("purged by later traffic before the answer") {
        Rig rig(options);
        REQUIRE(rig.from_server(kS1RegSet, 10s));
        CHECK_FALSE(rig.from_server(kS4RegGet, 16s));  // purges, then waits itself
        CHECK_FALSE(rig.from_component(kS1RegSetResult, 16s));
        CHECK(rig.registrations.size() == 0);
    }
}

TEST_CASE("registration augment: re-submitting the same nick with offline=false opts out") {
    Rig rig;
    const std::string room = "s5-optout@conference.localhost";
    REQUIRE(rig.from_server(kS5RegSetIn));
    CHECK_FALSE(rig.from_component(kS5RegSetInResult));
    REQUIRE(rig.find(room) != nullptr);
    CHECK(rig.find(room)->offline);

    // The MUC now answers <registered/>; the form the proxy adds shows the opt-in.
    CHECK_FALSE(rig.from_server(kS5RegGet));
    REQUIRE(rig.from_component(kS5RegGetResult));
    CHECK(field_of(parse(rig.out.begin()->bytes), kOfflineVar).values ==
          std::vector<std::string>{"1"});

    REQUIRE(rig.from_server(kS5RegSetOut));
    CHECK(rig.find(room)->offline);  // not before the MUC's result
    CHECK_FALSE(rig.from_component(kS5RegSetOutResult));
    REQUIRE(rig.find(room) != nullptr);
    CHECK(*rig.find(room) == Registration{"bob", false});
    CHECK(rig.flow.counters().committed == 2);
}

TEST_CASE("registration augment: a submit without the field keeps the member's choice") {
    Rig rig;
    const std::string room = "s5-optout@conference.localhost";
    rig.registrations.set(room, "bob@localhost", {"bob", true});
    // kS5RegSetOut without its offline field (not in a capture).
    CHECK_FALSE(rig.from_server(
        R"xml(<iq to='s5-optout@conference.localhost' id='s5-reg-set-6' from='bob@localhost/phone' xml:lang='en' type='set'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick'><value>bob</value></field></x></query></iq>)xml"));
    CHECK(rig.out.size() == 0);  // nothing to strip
    CHECK_FALSE(rig.from_component(kS5RegSetOutResult));
    CHECK(*rig.find(room) == Registration{"bob", true});
}

TEST_CASE("registration augment: JIDs are compared prepared") {
    Rig rig;
    // kS1RegSet as a client spelling its JID in capitals would send it (not in a capture).
    REQUIRE(rig.from_server(
        R"xml(<iq to='S1-OptIn@Conference.LocalHost' id='s1-reg-set-3' from='BOB@LocalHost/phone' xml:lang='en' type='set'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick'><value>bob</value></field><field var='{http://tigase.org/protocol/muc}offline'><value>true</value></field></x></query></iq>)xml"));
    CHECK_FALSE(rig.from_component(kS1RegSetResult));
    CHECK(rig.find("s1-optin@conference.localhost") != nullptr);
}

TEST_CASE(
    "registration augment: <remove/> deletes the registration at once; an error gives it back") {
    Rig rig;
    const std::string room = "s4-remove@conference.localhost";
    REQUIRE(rig.from_server(kS4RegSet));
    CHECK_FALSE(rig.from_component(kS4RegSetResult));
    REQUIRE(rig.find(room) != nullptr);

    SUBCASE("accepted") {
        CHECK_FALSE(rig.from_server(kS4RegRemove));
        CHECK(rig.out.size() == 0);
        CHECK(rig.find(room) == nullptr);  // the member asked: no copy while the MUC answers
        CHECK_FALSE(rig.from_component(kS4RegRemoveResult));
        CHECK(rig.find(room) == nullptr);
        CHECK(rig.flow.counters().removed == 1);
        // The next form shows the default again.
        CHECK_FALSE(rig.from_server(kS4RegGet));
        REQUIRE(rig.from_component(kS4RegGetResult));
        CHECK(field_of(parse(rig.out.begin()->bytes), kOfflineVar).values ==
              std::vector<std::string>{"0"});
    }
    SUBCASE("refused") {
        CHECK_FALSE(rig.from_server(kS4RegRemove));
        // kS4RegRemoveResult as an error (not in a capture).
        CHECK_FALSE(rig.from_component(
            R"xml(<iq type='error' from='s4-remove@conference.localhost' to='bob@localhost/phone' id='s4-reg-remove-5'><error type='cancel'><not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>)xml"));
        REQUIRE(rig.find(room) != nullptr);
        CHECK(*rig.find(room) == Registration{"bob", true});
        CHECK(rig.flow.counters().removed == 1);
        CHECK(rig.flow.counters().restored == 1);
    }
}

TEST_CASE("registration: register iqs to the service itself are not the proxy's business") {
    Rig rig;
    CHECK_FALSE(rig.from_server(kP1RegGetService));
    CHECK_FALSE(rig.from_component(kP1RegGetServiceError));
    CHECK(rig.out.size() == 0);
    Rig alone(standalone());
    CHECK_FALSE(alone.from_server(kP1RegGetService));
    CHECK(alone.out.size() == 0);
}

TEST_CASE("registration: stanzas that are not iqs to this MUC are left to the caller") {
    Rig rig;
    CHECK_FALSE(rig.from_server(
        R"xml(<message to='s1-optin@conference.localhost' type='groupchat' id='s1-msg-4' from='alice@localhost/desk'><body>hello</body></message>)xml"));
    // kS1RegGet to another MUC domain.
    CHECK_FALSE(rig.from_server(
        R"xml(<iq to='s1-optin@muc.elsewhere' id='s1-reg-get-2' from='bob@localhost/phone' xml:lang='en' type='get'><query xmlns='jabber:iq:register'/></iq>)xml"));
    // A sender whose JID does not prepare (a space in the localpart) is not tracked.
    CHECK_FALSE(rig.from_server(
        R"xml(<iq to='s1-optin@conference.localhost' id='s1-reg-get-2' from='b ob@localhost/phone' xml:lang='en' type='get'><query xmlns='jabber:iq:register'/></iq>)xml"));
    CHECK(rig.out.size() == 0);
    CHECK_FALSE(rig.from_component(kS1RegGetResult));

    // In standalone mode the proxy answers only for rooms of its own MUC.
    Rig alone(standalone());
    CHECK_FALSE(alone.from_server(
        R"xml(<iq to='s1-optin@muc.elsewhere' id='s1-reg-get-2' from='bob@localhost/phone' xml:lang='en' type='get'><query xmlns='jabber:iq:register'/></iq>)xml"));
    CHECK(alone.out.size() == 0);
}

// --- standalone -------------------------------------------------------------------------------

TEST_CASE("registration standalone: the proxy answers a register get with its own form") {
    Rig rig(standalone());
    REQUIRE(rig.from_server(kMucS1RegGet));
    const auto& d = rig.single(Decision::Kind::inject, Direction::to_server);
    const auto iq = parse(d.bytes);
    check_iq(iq, "result", "s1-optin@conference.localhost", "bob@localhost/phone", "s1-reg-get-2");
    CHECK(field_vars(iq) ==
          std::vector<std::string>{"FORM_TYPE", "muc#register_roomnick", kOfflineVar});
    CHECK(field_of(iq, "FORM_TYPE").values ==
          std::vector<std::string>{"http://jabber.org/protocol/muc#register"});
    CHECK(field_of(iq, "muc#register_roomnick").values.empty());
    CHECK(field_of(iq, kOfflineVar).type == "boolean");
    CHECK(field_of(iq, kOfflineVar).values == std::vector<std::string>{"0"});

    SUBCASE("a registered member sees their nick and choice") {
        rig.registrations.set("s1-optin@conference.localhost", "bob@localhost", {"bob", true});
        REQUIRE(rig.from_server(kMucS1RegGet));
        const auto again = parse(rig.single(Decision::Kind::inject, Direction::to_server).bytes);
        CHECK(field_of(again, "muc#register_roomnick").values == std::vector<std::string>{"bob"});
        CHECK(field_of(again, kOfflineVar).values == std::vector<std::string>{"1"});
    }
}

TEST_CASE("registration standalone: an occupant submitting their own nick is registered at once") {
    Rig rig(standalone());
    rig.occupancy.enter("s1-optin@conference.localhost", "bob@localhost/phone", "bob");
    REQUIRE(rig.from_server(kMucS1RegSet));
    const auto& d = rig.single(Decision::Kind::inject, Direction::to_server);
    check_iq(parse(d.bytes), "result", "s1-optin@conference.localhost", "bob@localhost/phone",
             "s1-reg-set-3");
    REQUIRE(rig.find("s1-optin@conference.localhost") != nullptr);
    CHECK(*rig.find("s1-optin@conference.localhost") == Registration{"bob", true});
    CHECK(rig.flow.counters().committed == 1);
}

TEST_CASE("registration standalone: a submit is refused with a reason") {
    Rig rig(standalone());
    const std::string room = "s1-optin@conference.localhost";
    ErrorSeen error;
    SUBCASE("from someone not in the room") {
        REQUIRE(rig.from_server(kMucS1RegSet));
        error = error_of(parse(rig.single(Decision::Kind::inject, Direction::to_server).bytes));
        CHECK(error.type == "auth");
        CHECK(error.condition == "forbidden");
    }
    SUBCASE("from an occupant under another nick") {
        rig.occupancy.enter(room, "bob@localhost/phone", "robert");
        REQUIRE(rig.from_server(kMucS1RegSet));
        error = error_of(parse(rig.single(Decision::Kind::inject, Direction::to_server).bytes));
        CHECK(error.type == "modify");
        CHECK(error.condition == "not-acceptable");
        CHECK(error.text.find("robert") != std::string::npos);
    }
    SUBCASE("asking for offline delivery without a nick") {
        rig.occupancy.enter(room, "bob@localhost/phone", "bob");
        // kMucS1RegSet without its nick field (not in a capture).
        REQUIRE(rig.from_server(
            R"xml(<iq to='s1-optin@conference.localhost' id='s1-reg-set-3' from='bob@localhost/phone' xml:lang='en' type='set'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#register</value></field><field var='{http://tigase.org/protocol/muc}offline'><value>true</value></field></x></query></iq>)xml"));
        error = error_of(parse(rig.single(Decision::Kind::inject, Direction::to_server).bytes));
        CHECK(error.type == "modify");
        CHECK(error.condition == "bad-request");
    }
    const auto iq = parse(rig.out.begin()->bytes);
    check_iq(iq, "error", room, "bob@localhost/phone", "s1-reg-set-3");
    CHECK_FALSE(error.text.empty());
    CHECK(rig.registrations.size() == 0);
    CHECK(rig.flow.counters().refused == 1);
}

TEST_CASE("registration standalone: <remove/> deletes and answers result") {
    Rig rig(standalone());
    const std::string room = "s4-remove@conference.localhost";
    rig.registrations.set(room, "bob@localhost", {"bob", true});
    REQUIRE(rig.from_server(kS4RegRemove));
    const auto& d = rig.single(Decision::Kind::inject, Direction::to_server);
    check_iq(parse(d.bytes), "result", room, "bob@localhost/phone", "s4-reg-remove-5");
    CHECK(rig.find(room) == nullptr);
    CHECK(rig.flow.counters().removed == 1);
}

TEST_CASE("registration standalone: rooms' disco#info gets jabber:iq:register and the feature") {
    Rig rig(standalone());
    REQUIRE(rig.from_component(kMucP1DiscoRoomResult));
    const auto room =
        features(parse(rig.single(Decision::Kind::forward_rewritten, Direction::to_server).bytes));
    CHECK(count(room, "jabber:iq:register") == 1);
    CHECK(count(room, kOfflineFeature) == 1);
    CHECK(room.size() == features(parse(kMucP1DiscoRoomResult)).size() + 2);

    REQUIRE(rig.from_component(kMucP1DiscoServiceResult));
    const auto service =
        features(parse(rig.single(Decision::Kind::forward_rewritten, Direction::to_server).bytes));
    CHECK(count(service, "jabber:iq:register") == 1);  // mu-conference's own, not doubled
    CHECK(count(service, kOfflineFeature) == 1);
}

// --- revocation -------------------------------------------------------------------------------

// Admin and owner iqs below are written for these tests (no capture has them), in the shape
// XEP-0045 §9.1, §9.4 and §10.9 give and Prosody answers.
constexpr std::string_view kBanBob =
    R"xml(<iq to='s1-optin@conference.localhost' id='s1-ban-9' from='alice@localhost/desk' xml:lang='en' type='set'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' jid='bob@localhost'><reason>spam</reason></item></query></iq>)xml";
constexpr std::string_view kBanBobResult =
    R"xml(<iq from='s1-optin@conference.localhost' id='s1-ban-9' type='result' to='alice@localhost/desk'/>)xml";
constexpr std::string_view kUnaffiliateBob =
    R"xml(<iq to='s1-optin@conference.localhost' id='s1-none-9' from='alice@localhost/desk' xml:lang='en' type='set'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='none' jid='Bob@LocalHost/phone'/></query></iq>)xml";
constexpr std::string_view kUnaffiliateBobResult =
    R"xml(<iq from='s1-optin@conference.localhost' id='s1-none-9' type='result' to='alice@localhost/desk'/>)xml";

Rig with_members() {
    Rig rig;
    rig.registrations.set("s1-optin@conference.localhost", "bob@localhost", {"bob", true});
    rig.registrations.set("s1-optin@conference.localhost", "carol@localhost", {"carol", true});
    rig.registrations.set("s5-optout@conference.localhost", "bob@localhost", {"bob", true});
    return rig;
}

TEST_CASE("registration revocation: outcast or none deletes the registration at the request") {
    for (auto [request, result] :
         {std::pair{kBanBob, kBanBobResult}, std::pair{kUnaffiliateBob, kUnaffiliateBobResult}}) {
        CAPTURE(request);
        Rig rig = with_members();
        CHECK_FALSE(rig.from_server(request));
        CHECK(rig.out.size() == 0);
        CHECK(rig.find("s1-optin@conference.localhost") == nullptr);
        CHECK_FALSE(rig.from_component(result));
        CHECK(rig.find("s1-optin@conference.localhost") == nullptr);
        CHECK(rig.find("s1-optin@conference.localhost", "carol@localhost") != nullptr);
        CHECK(rig.find("s5-optout@conference.localhost") != nullptr);
        CHECK(rig.flow.counters().removed == 1);
    }
}

TEST_CASE("registration revocation: refused, or to another affiliation, keeps the registration") {
    Rig rig = with_members();
    CHECK_FALSE(rig.from_server(kBanBob));
    CHECK_FALSE(rig.from_component(
        R"xml(<iq from='s1-optin@conference.localhost' id='s1-ban-9' type='error' to='alice@localhost/desk'><error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>)xml"));
    CHECK(rig.find("s1-optin@conference.localhost") != nullptr);
    CHECK(rig.flow.counters().restored == 1);

    CHECK_FALSE(rig.from_server(
        R"xml(<iq to='s1-optin@conference.localhost' id='s1-admin-10' from='alice@localhost/desk' xml:lang='en' type='set'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='admin' jid='bob@localhost'/></query></iq>)xml"));
    CHECK_FALSE(rig.from_component(
        R"xml(<iq from='s1-optin@conference.localhost' id='s1-admin-10' type='result' to='alice@localhost/desk'/>)xml"));
    CHECK(rig.find("s1-optin@conference.localhost") != nullptr);
    CHECK(rig.flow.counters().removed == 1);  // at the ban, given back on its error
}

TEST_CASE("registration revocation: <destroy/> answered result deletes the room's registrations") {
    Rig rig = with_members();
    // The instant-room configuration submit is a muc#owner set too, but destroys nothing.
    CHECK_FALSE(rig.from_server(kS1InstantConfig));
    CHECK_FALSE(rig.from_component(kS1InstantConfigResult));
    CHECK(rig.registrations.size() == 3);

    CHECK_FALSE(rig.from_server(
        R"xml(<iq to='s1-optin@conference.localhost' id='s1-destroy-11' from='alice@localhost/desk' xml:lang='en' type='set'><query xmlns='http://jabber.org/protocol/muc#owner'><destroy><reason>closing</reason></destroy></query></iq>)xml"));
    CHECK(rig.registrations.size() == 3);
    CHECK_FALSE(rig.from_component(
        R"xml(<iq from='s1-optin@conference.localhost' id='s1-destroy-11' type='result' to='alice@localhost/desk'/>)xml"));
    CHECK(rig.find("s1-optin@conference.localhost") == nullptr);
    CHECK(rig.find("s1-optin@conference.localhost", "carol@localhost") == nullptr);
    CHECK(rig.find("s5-optout@conference.localhost") != nullptr);
    CHECK(rig.flow.counters().removed == 2);
}

// --- the pending table ------------------------------------------------------------------------

TEST_CASE("registration pending iqs: an answer after expiry finds nothing, even unpurged") {
    offline::PendingIqs pending(1 << 20);
    offline::PendingIq iq;
    iq.kind = offline::PendingIq::Kind::submit;
    iq.expires = 10s;
    pending.add("s1-optin@conference.localhost", "bob@localhost/phone", "s1-reg-set-3", iq);
    CHECK_FALSE(
        pending.take("s1-optin@conference.localhost", "bob@localhost/phone", "s1-reg-set-3", 10s));
    CHECK(pending.empty());
    CHECK(pending.bytes() == 0);

    pending.add("s1-optin@conference.localhost", "bob@localhost/phone", "s1-reg-set-3", iq);
    pending.add("s1-optin@conference.localhost", "bob@localhost/phone", "s1-reg-set-4", iq);
    pending.purge(9s);
    CHECK(pending.size() == 2);
    pending.purge(10s);
    CHECK(pending.empty());
    CHECK(pending.bytes() == 0);
}

TEST_CASE("registration pending iqs: unanswered form requests, prepared between batches") {
    // A MUC that answers no register get: the index of form requests grows into mapped
    // tables; prepared between batches of 20 adds, no add populates one.
    for (const bool prepare : {true, false}) {
        offline::PendingIqs pending(256 << 20);
        offline::PendingIq iq;
        iq.expires = 60s;
        for (int i = 0; i < 60000; ++i) {
            REQUIRE(pending.add("room@conference.localhost", "bob@localhost/phone",
                                "get-" + std::to_string(i), iq));
            if (prepare && i % 20 == 19) pending.prepare_ahead();
        }
        CHECK(pending.size() == 60000);
        CHECK(pending.find("room@conference.localhost", "bob@localhost/phone", "get-4321", 1s) !=
              nullptr);
        if (prepare) {
            CHECK(pending.populated_on_add() == 0);
        } else {
            CHECK(pending.populated_on_add() > 0);
        }
    }
}

// The bytes one request is accounted, for a table that holds exactly `n` of them.
std::size_t budget_for(std::size_t n, std::string_view id, offline::PendingIq::Kind kind) {
    offline::PendingIq iq;
    iq.kind = kind;
    return n * offline::PendingIqs::bytes_of("room@conference.localhost", "bob@localhost/phone", id,
                                             iq);
}

TEST_CASE("registration pending iqs: a full table evicts the oldest form request") {
    offline::PendingIqs pending(budget_for(2, "id-0", offline::PendingIq::Kind::form_request));
    offline::PendingIq iq;
    for (int i = 0; i < 3; ++i) {
        iq.expires = std::chrono::seconds(i == 0 ? 30 : 10 + i);
        CHECK(pending.add("room@conference.localhost", "bob@localhost/phone",
                          "id-" + std::to_string(i), iq));
    }
    CHECK(pending.size() == 2);
    CHECK(pending.evictions() == 1);
    CHECK_FALSE(pending.take("room@conference.localhost", "bob@localhost/phone", "id-0", 0s));
    CHECK(pending.take("room@conference.localhost", "bob@localhost/phone", "id-1", 0s));
    CHECK(pending.take("room@conference.localhost", "bob@localhost/phone", "id-2", 0s));
}

TEST_CASE(
    "registration pending iqs: a deciding request is never evicted; one that does not fit "
    "is not kept") {
    using Kind = offline::PendingIq::Kind;
    offline::PendingIqs pending(budget_for(2, "id-0", Kind::submit));
    offline::PendingIq submit;
    submit.kind = Kind::submit;
    submit.expires = 60s;
    offline::PendingIq form;
    form.expires = 60s;
    CHECK(pending.add("room@conference.localhost", "bob@localhost/phone", "id-0", submit));
    CHECK(pending.add("room@conference.localhost", "bob@localhost/phone", "id-1", form));
    // Room for a second submit is made by evicting the form request, never the first submit.
    CHECK(pending.add("room@conference.localhost", "bob@localhost/phone", "id-2", submit));
    CHECK(pending.evictions() == 1);
    CHECK_FALSE(pending.add("room@conference.localhost", "bob@localhost/phone", "id-3", submit));
    CHECK_FALSE(pending.add("room@conference.localhost", "bob@localhost/phone", "id-4", form));
    CHECK(pending.size() == 2);
    CHECK(pending.find("room@conference.localhost", "bob@localhost/phone", "id-0", 0s));
    CHECK(pending.find("room@conference.localhost", "bob@localhost/phone", "id-2", 0s));
    // One request larger than the whole budget is not kept either.
    offline::PendingIqs small(1024);
    CHECK_FALSE(small.add("room@conference.localhost", "bob@localhost/phone",
                          std::string(2000, 'x'), submit));
    CHECK(small.empty());
}

TEST_CASE(
    "registration pending iqs: a re-sent request takes the new expiry; a flood stays bounded") {
    offline::PendingIqs pending(budget_for(3, "flood-100", offline::PendingIq::Kind::form_request));
    offline::PendingIq iq;
    iq.expires = 10s;
    pending.add("room@conference.localhost", "bob@localhost/phone", "same", iq);
    iq.expires = 50s;
    pending.add("room@conference.localhost", "bob@localhost/phone", "same", iq);
    pending.purge(20s);
    CHECK(pending.size() == 1);  // expires at 50 s now, not 10 s

    // Requests nobody answers: the table keeps the newest that fit.
    for (int i = 0; i < 1000; ++i) {
        iq.expires = std::chrono::seconds(100 + i);
        pending.add("room@conference.localhost", "bob@localhost/phone",
                    "flood-" + std::to_string(i), iq);
    }
    CHECK(pending.size() == 3);
    CHECK(pending.take("room@conference.localhost", "bob@localhost/phone", "flood-999", 0s));
    CHECK(pending.take("room@conference.localhost", "bob@localhost/phone", "flood-997", 0s));
    CHECK_FALSE(pending.take("room@conference.localhost", "bob@localhost/phone", "flood-996", 0s));
    CHECK_FALSE(pending.take("room@conference.localhost", "bob@localhost/phone", "same", 0s));
    pending.purge(2000s);
    CHECK(pending.empty());
    CHECK(pending.bytes() == 0);
}

// Form requests from one requester to room@conference.localhost, by id.
struct FormRequests {
    offline::PendingIqs& pending;
    std::string requester;
    std::string id(int i) const { return "form-" + std::to_string(1000 + i); }
    bool add(int i, std::chrono::seconds expires) {
        offline::PendingIq iq;
        iq.expires = expires;
        return pending.add("room@conference.localhost", requester, id(i), iq);
    }
    bool find(int i) const {
        return pending.find("room@conference.localhost", requester, id(i), 0s) != nullptr;
    }
    bool take(int i) {
        return pending.take("room@conference.localhost", requester, id(i), 0s).has_value();
    }
};

TEST_CASE(
    "registration pending iqs: form requests answered out of order; eviction and expiry "
    "still take the oldest waiting") {
    constexpr int kForms = 5000;
    offline::PendingIqs pending(
        budget_for(kForms, "form-1000", offline::PendingIq::Kind::form_request));
    FormRequests bob{pending, "bob@localhost/phone"};
    FormRequests eve{pending, "eve@localhost/phone"};  // as long as bob's: the same bytes
    for (int i = 0; i < kForms; ++i) REQUIRE(bob.add(i, 100s));
    // Every other one answered, newest first: the rest stay findable.
    for (int i = kForms - 1; i >= 0; i -= 2) CHECK(bob.take(i));
    CHECK(pending.size() == kForms / 2);
    for (int i = 0; i < kForms; i += 2) CHECK(bob.find(i));
    // Eve's requests need room: the oldest of Bob's go for it, in order (the answered ones'
    // slots go with the waiting ones before them), and the table stays within its budget.
    for (int i = 0; i < kForms / 2 + 3; ++i) REQUIRE(eve.add(i, 200s));
    CHECK(pending.bytes() <=
          budget_for(kForms, "form-1000", offline::PendingIq::Kind::form_request));
    CHECK(pending.evictions() > 0);
    for (int i = 0; i < kForms / 2 + 3; ++i) CHECK(eve.find(i));
    int first_kept = 0;
    while (first_kept < kForms && !bob.find(first_kept)) first_kept += 2;
    CHECK(first_kept > 0);
    CHECK(static_cast<std::uint64_t>(first_kept / 2) == pending.evictions());
    for (int i = first_kept; i < kForms; i += 2) CHECK(bob.find(i));
    // The first ones expire; those that came later stay.
    pending.purge(150s);
    CHECK(pending.size() == kForms / 2 + 3);
    CHECK(eve.find(0));
    pending.purge(200s);
    CHECK(pending.empty());
    CHECK(pending.bytes() == 0);
}

TEST_CASE(
    "registration pending iqs: requests answered behind one never answered stay within the "
    "budget") {
    const std::size_t budget = budget_for(100, "form-1000", offline::PendingIq::Kind::form_request);
    offline::PendingIqs pending(budget);
    FormRequests bob{pending, "bob@localhost/phone"};
    REQUIRE(bob.add(0, 60s));  // the MUC never answers this one
    std::size_t most = 0;
    for (int i = 1; i < 20000; ++i) {
        REQUIRE(bob.add(i, 60s));
        CHECK(bob.take(i));
        most = std::max(most, pending.bytes());
    }
    // The answered ones' slots waited behind the first until the budget made it go.
    CHECK(most <= budget);
    CHECK(pending.evictions() == 1);
    CHECK_FALSE(bob.find(0));
    CHECK(pending.empty());
    CHECK(pending.bytes() == 0);
}

TEST_CASE(
    "registration pending iqs: one key moves between a form request and a submit; ids "
    "with newlines stay apart") {
    using Kind = offline::PendingIq::Kind;
    offline::PendingIqs pending(1 << 20);
    offline::PendingIq form;
    form.expires = 60s;
    offline::PendingIq submit;
    submit.kind = Kind::submit;
    submit.expires = 60s;
    pending.add("room@conference.localhost", "bob@localhost/phone", "same", form);
    pending.add("room@conference.localhost", "bob@localhost/phone", "same", submit);
    CHECK(pending.size() == 1);
    CHECK(pending.find("room@conference.localhost", "bob@localhost/phone", "same", 0s)->kind ==
          Kind::submit);
    pending.add("room@conference.localhost", "bob@localhost/phone", "same", form);
    CHECK(pending.size() == 1);
    CHECK(pending.find("room@conference.localhost", "bob@localhost/phone", "same", 0s)->kind ==
          Kind::form_request);
    // Parts that hold newlines (an id may) still make keys of their own.
    pending.add("room@conference.localhost", "bob@localhost/phone", "a\nb", form);
    CHECK_FALSE(pending.find("room@conference.localhost", "bob@localhost/phone\na", "b", 0s));
    CHECK(pending.find("room@conference.localhost", "bob@localhost/phone", "a\nb", 0s));
    // A table moved elsewhere (its owner was) still finds what it holds.
    offline::PendingIqs moved(std::move(pending));
    CHECK(moved.take("room@conference.localhost", "bob@localhost/phone", "a\nb", 0s));
    CHECK(moved.take("room@conference.localhost", "bob@localhost/phone", "same", 0s));
    CHECK(moved.empty());
    CHECK(moved.bytes() == 0);
}
