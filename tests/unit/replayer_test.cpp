// Replay on the session core: the order the wire sees (a persist point, then what waited for
// it), and a capture the core refuses.
#include "replay/replayer.hpp"

#include <doctest/doctest.h>

#include "replay/report.hpp"

namespace {

using xmpp::Direction;

const std::string kComponentHeader =
    "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
    "xmlns='jabber:component:accept' to='conference.localhost'>";
const std::string kServerHeader =
    "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
    "xmlns='jabber:component:accept' from='conference.localhost' id='s1'>";

std::vector<replay::Chunk> session(const std::vector<std::pair<Direction, std::string>>& after) {
    std::vector<replay::Chunk> chunks{{0.0, Direction::to_server, kComponentHeader},
                                      {0.1, Direction::to_component, kServerHeader},
                                      {0.2, Direction::to_server, "<handshake>00</handshake>"},
                                      {0.3, Direction::to_component, "<handshake/>"}};
    double t = 1;
    for (const auto& [direction, data] : after) chunks.push_back({t++, direction, data});
    return chunks;
}

// Persists before an iq result and notes it; forwards everything.
struct NotedCommit : xmpp::StanzaFilter {
    void on_stanza(Direction direction, const xmpp::Stanza& stanza, xmpp::Moment,
                   xmpp::Decisions& out) override {
        if (stanza.top.name.local == "iq") {
            out.note("committing " + std::string(stanza.top.attribute("id")));
            out.persist();
        }
        out.forward(direction);
    }
};

std::unique_ptr<xmpp::FilterChain> chain_of(std::shared_ptr<xmpp::StanzaFilter> filter) {
    auto chain = std::make_unique<xmpp::FilterChain>();
    chain->add(std::move(filter));
    return chain;
}

const replay::ReplayLink kLink{"conference.localhost"};

}  // namespace

TEST_CASE("replay: a persist point and its note come in wire order, before what waited") {
    replay::ReplayResult result =
        replay::replay_capture(session({{Direction::to_server,
                                         "<message id='a'/><iq id='r1' "
                                         "type='result'/><message id='b'/>"}}),
                               kLink, chain_of(std::make_shared<NotedCommit>()));
    CHECK(result.error.empty());
    CHECK(replay::report(result, "") ==
          "note committing r1\n"
          "persist\n"
          "component->server forward <iq id='r1' type='result'/>\n");
    CHECK(result.output[0] == kComponentHeader +
                                  "<handshake>00</handshake><message id='a'/>"
                                  "<iq id='r1' type='result'/><message id='b'/>");
}

TEST_CASE("replay: a capture the core refuses ends with the reason") {
    SUBCASE("bad XML from the MUC") {
        replay::ReplayResult result = replay::replay_capture(
            session({{Direction::to_server, "<message></iq>"}, {Direction::to_server, "<x/>"}}),
            kLink, chain_of(std::make_shared<NotedCommit>()));
        CHECK(result.error.find("<not-well-formed/> to the component") != std::string::npos);
    }
    SUBCASE("a stream for another domain") {
        replay::ReplayResult result =
            replay::replay_capture(session({}), replay::ReplayLink{"muc.example.org"},
                                   chain_of(std::make_shared<NotedCommit>()));
        CHECK(result.error.find("<host-unknown/>") != std::string::npos);
    }
}
