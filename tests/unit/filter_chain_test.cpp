// The filter chain: forward, rewrite, drop and inject, in order, through several filters.
#include "xmpp/filter_chain.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/loopback.hpp"
#include "xml/standalone.hpp"

namespace {

using xmpp::Direction;

struct Emitted {
    Direction direction;
    std::string bytes;
    bool operator==(const Emitted&) const = default;
};

struct RecordingOutput : xmpp::StanzaOutput {
    std::vector<Emitted> emitted;
    void emit(Direction direction, std::string_view bytes, xmpp::Decision::Kind) override {
        emitted.push_back({direction, std::string(bytes)});
    }
    void note(std::string_view) override {}
};

// Drops <iq/>, rewrites <presence/> into <presence type='unavailable'/>, and answers every
// <message/> with an injected receipt the other way, after forwarding it.
struct ExampleFilter : xmpp::StanzaFilter {
    std::vector<std::string> seen;
    void on_stanza(Direction direction, const xmpp::Stanza& stanza, xmpp::Moment,
                   xmpp::Decisions& out) override {
        seen.emplace_back(stanza.top.name.local);
        const std::string_view name = stanza.top.name.local;
        Direction back =
            direction == Direction::to_server ? Direction::to_component : Direction::to_server;
        if (name == "iq") return;
        if (name == "presence") {
            out.forward_rewritten(direction, "<presence type='unavailable'/>");
            return;
        }
        out.forward(direction);
        if (name == "message") out.inject(back, "<receipt/>");
    }
};

// Records the `type` attribute of what reaches it, to show later filters see rewrites.
struct TypeRecorder : xmpp::StanzaFilter {
    std::vector<std::string> types;
    void on_stanza(Direction direction, const xmpp::Stanza& stanza, xmpp::Moment,
                   xmpp::Decisions& out) override {
        types.emplace_back(stanza.top.attribute("type"));
        out.forward(direction);
    }
};

void run(xmpp::FilterChain& chain, Direction direction, const std::string& bytes,
         RecordingOutput& out) {
    xml::ElementView view;
    REQUIRE(xml::parse_standalone(bytes, view));
    chain.run(direction, xmpp::Stanza{view, bytes}, xmpp::Moment(0), out);
}

}  // namespace

TEST_CASE("filter chain: with no filter every stanza goes out as it came") {
    xmpp::FilterChain chain;
    RecordingOutput out;
    run(chain, Direction::to_server, "<message  id=\"1\"/>", out);
    CHECK(out.emitted == std::vector<Emitted>{{Direction::to_server, "<message  id=\"1\"/>"}});
}

TEST_CASE("filter chain: drop, rewrite and inject, in order, seen by the next filter") {
    auto example = std::make_shared<ExampleFilter>();
    auto recorder = std::make_shared<TypeRecorder>();
    xmpp::FilterChain chain;
    chain.add(example);
    chain.add(recorder);
    RecordingOutput out;
    run(chain, Direction::to_server, "<iq type='get'/>", out);
    run(chain, Direction::to_server, "<presence type='available'/>", out);
    run(chain, Direction::to_component, "<message type='groupchat'/>", out);
    CHECK(out.emitted == std::vector<Emitted>{
                             {Direction::to_server, "<presence type='unavailable'/>"},
                             {Direction::to_component, "<message type='groupchat'/>"},
                             {Direction::to_server, "<receipt/>"},
                         });
    CHECK(example->seen == std::vector<std::string>{"iq", "presence", "message"});
    // The recorder never saw the dropped iq nor the injected receipt, and saw the rewrite.
    CHECK(recorder->types == std::vector<std::string>{"unavailable", "groupchat"});
}

TEST_CASE("relay: the filter chain runs on live traffic after the handshake") {
    using namespace loopback;
    ListeningSocket upstream;
    ProxyThread proxy(test_link(upstream.port()), [](const config::Link&) {
        auto chain = std::make_unique<xmpp::FilterChain>();
        chain->add(std::make_shared<ExampleFilter>());
        return chain;
    });
    Session session = establish(proxy, upstream);
    session.component.send_all("<iq type='get' id='1'/><message id='m'/> <presence/>");
    std::string at_server, at_component;
    const std::string expected_at_server = "<message id='m'/> <presence type='unavailable'/>";
    CHECK(session.server.read_exactly(at_server, expected_at_server.size(), 5s));
    CHECK(at_server == expected_at_server);
    CHECK(session.component.read_exactly(at_component, 10, 5s));
    CHECK(at_component == "<receipt/>");
}

TEST_CASE("decisions: copies of kept stanzas carry their member in place of `to`, in order") {
    xmpp::Decisions out;
    const std::string first = "<message to='room@c/x' id='1'><body>a</body></message>";
    const std::string second = "<message id='2' to='r@c'/>";
    const auto a = out.keep_copy_source(first, first.find("room@c/x"), 8);
    CHECK(out.holds(a));
    out.inject_copy(Direction::to_server, a, "bob@x");
    out.inject(Direction::to_component, "<presence/>");
    const auto b = out.keep_copy_source(second, second.find("r@c"), 3);
    out.inject_copy(Direction::to_server, b, "carol@longer.example");
    out.inject_copy(Direction::to_server, a, "d@y");
    std::vector<std::string> written;
    std::string scratch;
    for (const xmpp::Decision& d : out) written.emplace_back(out.bytes_of(d, scratch));
    const std::vector<std::string> expected = {
        "<message to='bob@x' id='1'><body>a</body></message>", "<presence/>",
        "<message id='2' to='carol@longer.example'/>",
        "<message to='d@y' id='1'><body>a</body></message>"};
    CHECK(written == expected);
    // After clear() the kept stanzas are gone: a source is not held any more, here or by
    // another Decisions.
    out.clear();
    CHECK_FALSE(out.holds(a));
    xmpp::Decisions other;
    CHECK_FALSE(other.holds(b));
    const auto again = out.keep_copy_source(second, second.find("r@c"), 3);
    CHECK(out.holds(again));
    CHECK_FALSE(out.holds(a));
    CHECK_FALSE(other.holds(again));
}
