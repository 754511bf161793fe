// The framer: units out of arbitrary chunks, raw bytes exact, RFC 6120 restrictions.
#include "xml/framer.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

namespace {

struct Unit {
    std::string kind;  // open, stanza, space, close
    std::string name;
    std::string raw;
    bool operator==(const Unit&) const = default;
};

// A name kept past the callback (a view's names view bytes that are gone by then).
struct KeptName {
    std::string ns, local, prefix;
    explicit KeptName(const xml::QName& name = {})
        : ns(name.ns), local(name.local), prefix(name.prefix) {}
};

struct RecordingSink : xml::FrameSink {
    std::vector<Unit> units;
    KeptName header_name;
    std::string header_to;
    std::vector<KeptName> last_children;
    std::string last_ns;
    std::vector<std::pair<std::string, std::string>> last_attributes;

    void on_stream_open(const xml::ElementView& header, std::string_view raw) override {
        header_name = KeptName(header.name);
        header_to = header.attribute("to");
        units.push_back({"open", std::string(header.name.local), std::string(raw)});
    }
    void on_stanza(const xml::ElementView& top, std::string_view raw) override {
        last_ns = top.name.ns;
        last_children.clear();
        for (const xml::QName& child : top.children()) last_children.emplace_back(child);
        last_attributes.clear();
        for (const auto& a : top.attributes()) last_attributes.emplace_back(a.name.local, a.value);
        units.push_back({"stanza", std::string(top.name.local), std::string(raw)});
    }
    void on_whitespace(std::string_view raw) override {
        // Adjacent whitespace callbacks are one keepalive for comparison purposes.
        if (!units.empty() && units.back().kind == "space") {
            units.back().raw += raw;
        } else {
            units.push_back({"space", "", std::string(raw)});
        }
    }
    void on_stream_close(std::string_view raw) override {
        units.push_back({"close", "", std::string(raw)});
    }
};

const std::string kHeader =
    "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
    "xmlns='jabber:component:accept' to='conference.localhost'>";

const std::string kBody =
    "<handshake>aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d</handshake>"
    "<message from='room@conference.localhost/alice' to='bob@localhost/phone' type='groupchat' "
    "id='m1'><body>caf\xc3\xa9 &amp; &lt;tea&gt; \xf0\x9f\x8d\xb5</body><x "
    "xmlns='http://jabber.org/protocol/muc#user'/></message> \n"
    "<iq type=\"get\" id='q1' to='room@conference.localhost'><query "
    "xmlns='jabber:iq:register'/></iq>"
    "<presence><![CDATA[ <not> a tag ]]></presence>"
    "<ns0:message xmlns:ns0='jabber:component:accept' to='x@y'/>"
    "</stream:stream>";

std::vector<Unit> frame_in_pieces(const std::string& input, const std::vector<size_t>& cuts) {
    RecordingSink sink;
    xml::Framer framer(sink, {});
    size_t at = 0;
    for (size_t cut : cuts) {
        REQUIRE(framer.feed(std::string_view(input).substr(at, cut - at)));
        at = cut;
    }
    REQUIRE(framer.feed(std::string_view(input).substr(at)));
    return sink.units;
}

}  // namespace

std::string concatenated(const std::vector<Unit>& units) {
    std::string all;
    for (const Unit& u : units) all += u.raw;
    return all;
}

TEST_CASE("framer: units and their exact bytes, whole, byte by byte and in random splits") {
    const std::string input = kHeader + kBody;
    std::vector<Unit> whole = frame_in_pieces(input, {});
    REQUIRE(whole.size() == 8);
    CHECK(whole[0] == Unit{"open", "stream", kHeader});
    CHECK(whole[1].name == "handshake");
    CHECK(whole[2].name == "message");
    CHECK(whole[3] == Unit{"space", "", " \n"});
    CHECK(whole[4].name == "iq");
    CHECK(whole[5].raw == "<presence><![CDATA[ <not> a tag ]]></presence>");
    CHECK(whole[6].raw == "<ns0:message xmlns:ns0='jabber:component:accept' to='x@y'/>");
    CHECK(whole[7] == Unit{"close", "", "</stream:stream>"});
    CHECK(concatenated(whole) == input);

    std::vector<size_t> every_byte;
    for (size_t i = 1; i < input.size(); ++i) every_byte.push_back(i);
    CHECK(frame_in_pieces(input, every_byte) == whole);

    std::mt19937 random(20261125);
    for (int round = 0; round < 200; ++round) {
        std::vector<size_t> cuts;
        std::uniform_int_distribution<size_t> step(1, 40);
        for (size_t at = step(random); at < input.size(); at += step(random)) cuts.push_back(at);
        CHECK(frame_in_pieces(input, cuts) == whole);
    }
}

TEST_CASE("framer: stream header namespaces and prefixes, stanza view") {
    RecordingSink sink;
    xml::Framer framer(sink, {});
    REQUIRE(framer.feed(kHeader));
    CHECK(sink.header_name.local == "stream");
    CHECK(sink.header_name.ns == "http://etherx.jabber.org/streams");
    CHECK(sink.header_name.prefix == "stream");
    CHECK(sink.header_to == "conference.localhost");

    REQUIRE(
        framer.feed("<message to='a@b/c' xml:lang='en' type='groupchat'><body>hi</body>"
                    "<x xmlns='http://jabber.org/protocol/muc#user'><item/></x>"
                    "<origin-id xmlns='urn:xmpp:sid:0' id='o1'/></message>"));
    REQUIRE(sink.units.size() == 2);
    CHECK(sink.last_ns == "jabber:component:accept");
    REQUIRE(sink.last_children.size() == 3);
    CHECK(sink.last_children[0].local == "body");
    CHECK(sink.last_children[0].ns == "jabber:component:accept");
    CHECK(sink.last_children[1].local == "x");
    CHECK(sink.last_children[1].ns == "http://jabber.org/protocol/muc#user");
    CHECK(sink.last_children[2].ns == "urn:xmpp:sid:0");
    // xml:lang is namespaced, so only the two plain attributes are found by attribute().
    CHECK(sink.last_attributes.size() == 3);
}

TEST_CASE("framer: a whitespace keepalive is handed on at once") {
    RecordingSink sink;
    xml::Framer framer(sink, {});
    REQUIRE(framer.feed(kHeader));
    REQUIRE(framer.feed(" "));
    REQUIRE(sink.units.size() == 2);
    CHECK(sink.units[1] == Unit{"space", "", " "});
    REQUIRE(framer.feed("\n"));
    CHECK(sink.units[1].raw == " \n");
    CHECK(framer.pending_bytes() == 0);
}

TEST_CASE("framer: the last stanza of a burst is not held back") {
    RecordingSink sink;
    xml::Framer framer(sink, {});
    REQUIRE(framer.feed(kHeader));
    std::string burst;
    for (int i = 0; i < 500; ++i)
        burst += "<message id='" + std::to_string(i) + "'><body>x</body></message>";
    REQUIRE(framer.feed(burst));
    REQUIRE(sink.units.size() == 501);
    CHECK(sink.units.back().raw == "<message id='499'><body>x</body></message>");

    // Expat's reparse deferral would wait for much more data after a large partial token
    // before parsing again; the closing bytes alone must complete the stanza.
    REQUIRE(framer.feed("<message id='big' a='" + std::string(200000, 'x')));
    CHECK(sink.units.size() == 501);
    REQUIRE(framer.feed("'/>"));
    REQUIRE(sink.units.size() == 502);
    CHECK(sink.units.back().raw.size() == 200000 + 24);
}

namespace {

struct Outcome {
    std::vector<Unit> units;
    xml::FrameError error;
};

Outcome frame_expecting_error(const std::string& input, xml::FramerLimits limits = {}) {
    RecordingSink sink;
    xml::Framer framer(sink, limits);
    bool ok = true;
    for (char c : input) {  // byte by byte: the verdict must not depend on chunking
        ok = framer.feed(std::string_view(&c, 1));
        if (!ok) break;
    }
    CHECK_FALSE(ok);
    return {sink.units, framer.error()};
}

}  // namespace

TEST_CASE("framer: restricted XML (RFC 6120 §11.1)") {
    using xml::FrameErrorKind;
    CHECK(
        frame_expecting_error("<?xml version='1.0'?><!DOCTYPE stream [<!ENTITY a 'b'>]>" + kHeader)
            .error.kind == FrameErrorKind::restricted_xml);
    CHECK(frame_expecting_error(kHeader + "<!-- hello -->").error.kind ==
          FrameErrorKind::restricted_xml);
    CHECK(frame_expecting_error(kHeader + "<message><!-- inside --></message>").error.kind ==
          FrameErrorKind::restricted_xml);
    CHECK(frame_expecting_error(kHeader + "<?pi data?>").error.kind ==
          FrameErrorKind::restricted_xml);
    CHECK(frame_expecting_error(kHeader + "<message><body>&undeclared;</body></message>")
              .error.kind == FrameErrorKind::restricted_xml);
    Outcome inline_pi = frame_expecting_error(kHeader + "<message/><?pi?>");
    CHECK(inline_pi.error.text == "XML processing instruction");
    CHECK(inline_pi.units.size() == 2);
}

TEST_CASE("framer: malformed XML is not-well-formed, after what came before is delivered") {
    using xml::FrameErrorKind;
    Outcome mismatched = frame_expecting_error(kHeader + "<a/><b/><c></d>");
    CHECK(mismatched.error.kind == FrameErrorKind::not_well_formed);
    REQUIRE(mismatched.units.size() == 3);
    CHECK(mismatched.units[1].raw == "<a/>");
    CHECK(mismatched.units[2].raw == "<b/>");
    CHECK(frame_expecting_error(kHeader + "hello").error.kind == FrameErrorKind::not_well_formed);
    CHECK(frame_expecting_error(kHeader + "<a x='1' x='2'/>").error.kind ==
          FrameErrorKind::not_well_formed);
    CHECK(frame_expecting_error(kHeader + "<a>\xff</a>").error.kind ==
          FrameErrorKind::not_well_formed);
    CHECK(frame_expecting_error(kHeader + "<p:a/>").error.kind == FrameErrorKind::not_well_formed);
    // Between stanzas only whitespace: a CDATA section of spaces would lose its delimiters.
    Outcome cdata = frame_expecting_error(kHeader + "<a/><![CDATA[ ]]>");
    CHECK(cdata.error.kind == FrameErrorKind::not_well_formed);
    CHECK(cdata.error.text == "CDATA section outside of any stanza");
    CHECK(cdata.units.size() == 2);

    // The same in one chunk: complete units before the fault still reach the sink.
    RecordingSink sink;
    xml::Framer framer(sink, {});
    CHECK_FALSE(framer.feed(kHeader + "<a/><b/><c></d><e/>"));
    CHECK(sink.units.size() == 3);
    CHECK_FALSE(framer.feed("<f/>"));
    CHECK(sink.units.size() == 3);
}

TEST_CASE("framer: a stanza over the size limit is a policy violation") {
    xml::FramerLimits limits{.max_unit_bytes = 1024};
    std::string small = "<message><body>" + std::string(900, 'a') + "</body></message>";
    std::string large = "<message><body>" + std::string(1100, 'a') + "</body></message>";

    Outcome growing = frame_expecting_error(kHeader + small + large, limits);
    CHECK(growing.error.kind == xml::FrameErrorKind::policy_violation);
    REQUIRE(growing.units.size() == 2);
    CHECK(growing.units[1].raw == small);

    RecordingSink sink;
    xml::Framer framer(sink, limits);
    REQUIRE(framer.feed(kHeader));
    CHECK_FALSE(framer.feed(small + large));
    CHECK(framer.error().kind == xml::FrameErrorKind::policy_violation);
    CHECK(sink.units.size() == 2);

    // An endless start tag is refused too, before any element is reported.
    Outcome endless =
        frame_expecting_error(kHeader + "<message a='" + std::string(2000, 'b'), limits);
    CHECK(endless.error.kind == xml::FrameErrorKind::policy_violation);
}

TEST_CASE("framer: a broadcast's copies are framed as the first one with another `to`") {
    // The MUC's copies of one message differ only in `to`; attributes and children after it
    // move with its length.
    auto copy = [](std::string_view to) {
        return "<message from='room@conference.localhost/alice' to='" + std::string(to) +
               "' type='groupchat' id='m1' xmlns='jabber:component:accept'><body>caf\xc3\xa9 "
               "&amp; tea</body><stanza-id xmlns='urn:xmpp:sid:0' by='room@conference.localhost' "
               "id='s1'/></message>";
    };
    const std::vector<std::string> recipients = {"bob@localhost/phone", "c@d/e",
                                                 "a-much-longer-recipient@example.org/laptop",
                                                 "x&amp;y@localhost/r", "caf\xc3\xa9@localhost/r"};
    std::string stream = kHeader;
    for (const std::string& to : recipients) stream += copy(to);
    RecordingSink sink;
    xml::Framer framer(sink, {});
    REQUIRE(framer.feed(stream));
    REQUIRE(sink.units.size() == 1 + recipients.size());
    CHECK(framer.stanzas_scanned() == recipients.size());
    CHECK(framer.stanzas_repeated() == recipients.size() - 1);
    // The view of the last one is its own: `to` decoded, the rest where the bytes say.
    CHECK(sink.units.back().raw == copy(recipients.back()));
    CHECK(sink.last_ns == "jabber:component:accept");
    REQUIRE(sink.last_attributes.size() == 4);
    CHECK(sink.last_attributes[1] ==
          std::pair<std::string, std::string>{"to", "caf\xc3\xa9@localhost/r"});
    CHECK(sink.last_attributes[3] == std::pair<std::string, std::string>{"id", "m1"});
    REQUIRE(sink.last_children.size() == 2);
    CHECK(sink.last_children[1].local == "stanza-id");
    CHECK(sink.last_children[1].ns == "urn:xmpp:sid:0");
    // A framer told to scan every stanza frames the same units, without comparing.
    RecordingSink scanned_sink;
    xml::Framer scanning(scanned_sink, {}, xml::FramingPath::scanner_first, xml::Repeats::scanned);
    REQUIRE(scanning.feed(stream));
    CHECK(scanning.stanzas_repeated() == 0);
    CHECK(scanned_sink.units == sink.units);
    CHECK(scanned_sink.last_attributes == sink.last_attributes);

    // Anything else in the bytes, or a `to` the scanner would not vouch for, is scanned (or
    // judged by expat) as any stanza: never taken as a copy.
    RecordingSink other_sink;
    xml::Framer other(other_sink, {});
    std::string changed = copy("c@d/e");
    changed[changed.find("caf")] = 'k';
    CHECK_FALSE(other.feed(kHeader + copy("bob@localhost/phone") + changed + copy("a<b")));
    CHECK(other_sink.units.size() == 3);
    CHECK(other.stanzas_repeated() == 0);
    CHECK(other.error().kind == xml::FrameErrorKind::not_well_formed);
}
