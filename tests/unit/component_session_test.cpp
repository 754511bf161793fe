// The component-session core on its own, deterministic: what each side is written, in which
// order, and when, for the stream's rules (domain, handshake, stream errors, closing tags), the
// filters' decisions and the output that waits for a commit. The sockets around it are tested
// in relay_test.
#include "session/component_session.hpp"

#include <doctest/doctest.h>

#include <deque>
#include <random>

#include "support/muc_traffic.hpp"
#include "xmpp/handshake.hpp"

using session::Side;
using test_support::traffic;

namespace {

const std::string kComponentHeader =
    "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
    "xmlns='jabber:component:accept' to='conference.localhost'>";
const std::string kServerHeader =
    "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
    "xmlns='jabber:component:accept' from='conference.localhost' id='s1'>";
const std::string kHandshake =
    "<handshake>" + xmpp::handshake_digest("s1", "secret") + "</handshake>";

// Records what the core asks for; durability waits until the test answers.
struct Driver : session::SessionActions {
    std::string at[2];                        // by Side
    std::vector<session::Write> writes;       // their views are only valid during the call:
    std::vector<std::string> heads, members;  // the pieces, as they were
    std::vector<std::string> lines;
    std::vector<std::string> notes;
    std::deque<std::uint64_t> waiting;
    int upstream_asked = 0;
    bool accepted = false;
    bool over_watermark = false;
    int end_count = 0;

    std::string& to(Side side) { return at[side == Side::component ? 0 : 1]; }
    void write(const session::Write& write) override {
        write.append_to(to(write.to));
        heads.emplace_back(write.bytes);
        members.emplace_back(write.member);
        writes.push_back(write);
    }
    void connect_upstream() override { ++upstream_asked; }
    void handshake_accepted() override { accepted = true; }
    void wait_durable(std::uint64_t ticket, Side, std::string_view) override {
        waiting.push_back(ticket);
    }
    bool over_high_watermark() override { return over_watermark; }
    void log(session::LogLevel, std::string_view line) override { lines.emplace_back(line); }
    void note(std::string_view line) override { notes.emplace_back(line); }
    void ended() override { ++end_count; }
    bool logged(std::string_view part) const {
        for (const auto& line : lines) {
            if (line.find(part) != std::string::npos) return true;
        }
        return false;
    }
};

struct Core {
    Driver driver;
    session::LinkCounters counters;
    session::ComponentSession session;

    explicit Core(std::shared_ptr<xmpp::StanzaFilter> filter = nullptr,
                  std::size_t max_stanza_bytes = 1024 * 1024, bool durable = true)
        : session(session::SessionRules{"conference.localhost", max_stanza_bytes, 7, durable},
                  chain_with(std::move(filter)), driver, counters) {}

    static std::unique_ptr<xmpp::FilterChain> chain_with(std::shared_ptr<xmpp::StanzaFilter> f) {
        auto chain = std::make_unique<xmpp::FilterChain>();
        if (f) chain->add(std::move(f));
        return chain;
    }
    void from_component(std::string_view bytes) {
        session.feed(Side::component, bytes, xmpp::Moment(0));
    }
    void from_server(std::string_view bytes) { session.feed(Side::server, bytes, xmpp::Moment(0)); }
    // Header and handshake both ways; what each side got is cleared.
    void establish() {
        from_component(kComponentHeader);
        from_server(kServerHeader);
        from_component(kHandshake);
        from_server("<handshake/>");
        REQUIRE(session.authenticated());
        driver.at[0].clear();
        driver.at[1].clear();
        driver.writes.clear();
    }
    void answer_all(bool durable) {
        while (!driver.waiting.empty()) {
            const std::uint64_t ticket = driver.waiting.front();
            driver.waiting.pop_front();
            session.durable(ticket, durable);
        }
    }
};

// Passes everything, and counts the session hooks.
struct SessionHooks : xmpp::StanzaFilter {
    int starts = 0;
    int ends = 0;
    void on_stanza(xmpp::Direction direction, const xmpp::Stanza&, xmpp::Moment,
                   xmpp::Decisions& out) override {
        out.forward(direction);
    }
    void on_session_start(xmpp::Moment, xmpp::Decisions& out) override {
        ++starts;
        out.note("session started");
    }
    void on_session_end(xmpp::Moment, xmpp::Decisions& out) override {
        ++ends;
        out.note("session ended");
    }
};

// As the registration flow does: an iq result from the MUC is persisted with the error to send
// instead, and an extra stanza follows it; a presence is persisted without a fallback; a
// message named 'drop-me' is dropped.
struct PersistWithFallback : xmpp::StanzaFilter {
    void on_stanza(xmpp::Direction direction, const xmpp::Stanza& stanza, xmpp::Moment,
                   xmpp::Decisions& out) override {
        const std::string id(stanza.top.attribute("id"));
        if (stanza.top.name.local == "iq" && stanza.top.attribute("type") == "result") {
            out.persist();
            out.if_not_durable(direction, "<iq type='error' id='" + id + "'/>");
            out.forward(direction);
            out.inject(direction, "<message id='" + id + "-extra'/>");
            return;
        }
        if (id == "drop-me") return;
        if (stanza.top.name.local == "presence") out.persist();
        out.forward(direction);
    }
};

// As the fan-out does: each message from the MUC goes on, then two copies of it to members;
// one whose id says so is persisted first (so that it and its copies wait for the commit).
struct CopiesToMembers : xmpp::StanzaFilter {
    void on_stanza(xmpp::Direction direction, const xmpp::Stanza& stanza, xmpp::Moment,
                   xmpp::Decisions& out) override {
        if (stanza.top.attribute("id") == "persisted") out.persist();
        out.forward(direction);
        if (stanza.top.name.local != "message") return;
        const std::size_t to = stanza.raw.find("to='") + 4;
        const std::size_t length = stanza.raw.find('\'', to) - to;
        const auto source = out.keep_copy_source(stanza.raw, to, length);
        out.inject_copy(direction, source, "bob@localhost");
        out.inject_copy(direction, source, "carol@localhost");
    }
};

}  // namespace

TEST_CASE("session core: a copy is written in its pieces, or whole when it may be held") {
    Core core(std::make_shared<CopiesToMembers>());
    core.establish();
    core.driver.heads.clear();
    core.driver.members.clear();
    const std::uint64_t server_bytes_before = core.counters.bytes_to_server.load();
    core.from_component("<message id='m1' to='a@x/r'><body>hi</body></message>");
    const std::string copies =
        "<message id='m1' to='a@x/r'><body>hi</body></message>"
        "<message id='m1' to='bob@localhost'><body>hi</body></message>"
        "<message id='m1' to='carol@localhost'><body>hi</body></message>";
    CHECK(core.driver.to(Side::server) == copies);
    REQUIRE(core.driver.writes.size() == 3);
    // Nothing is held: the copies leave as the stanza around the member, not joined first.
    CHECK(core.driver.heads[1] == "<message id='m1' to='");
    CHECK(core.driver.members[1] == "bob@localhost");
    CHECK(core.driver.members[2] == "carol@localhost");
    CHECK(core.counters.bytes_to_server.load() - server_bytes_before == copies.size());

    // Behind a commit, the copies wait whole, and go out in order once it is durable.
    core.driver.members.clear();
    core.driver.at[1].clear();
    core.from_component("<message id='persisted' to='a@x/r'/>");
    REQUIRE(core.driver.waiting.size() == 1);
    CHECK(core.driver.to(Side::server).empty());
    CHECK(core.session.held_bytes() > 0);
    core.answer_all(true);
    CHECK(core.driver.to(Side::server) ==
          "<message id='persisted' to='a@x/r'/><message id='persisted' to='bob@localhost'/>"
          "<message id='persisted' to='carol@localhost'/>");
    REQUIRE(core.driver.members.size() == 3);
    for (const std::string& member : core.driver.members) CHECK(member.empty());
}

TEST_CASE("session core: header and handshake pass untouched, then every byte both ways") {
    Core core(std::make_shared<SessionHooks>());
    core.from_component(kComponentHeader);
    CHECK(core.driver.upstream_asked == 1);
    CHECK(core.driver.to(Side::server) == kComponentHeader);
    core.from_server(kServerHeader);
    core.from_component(kHandshake);
    CHECK_FALSE(core.session.authenticated());
    core.from_server("<handshake/>");
    CHECK(core.driver.accepted);
    CHECK(core.counters.components_connected == 1);
    CHECK(core.driver.to(Side::server) == kComponentHeader + kHandshake);
    CHECK(core.driver.to(Side::component) == kServerHeader + "<handshake/>");

    // In chunks cut anywhere, UTF-8 and CDATA included.
    const std::string up = traffic(300, 1), down = traffic(300, 2);
    std::mt19937 random(3);
    for (const auto& [bytes, side] : {std::pair{up, Side::component}, {down, Side::server}}) {
        for (std::size_t at = 0; at < bytes.size();) {
            const std::size_t n = std::min<std::size_t>(bytes.size() - at, 1 + random() % 50);
            core.session.feed(side, std::string_view(bytes).substr(at, n), xmpp::Moment(0));
            at += n;
        }
    }
    CHECK(core.driver.to(Side::server) == kComponentHeader + kHandshake + up);
    CHECK(core.driver.to(Side::component) == kServerHeader + "<handshake/>" + down);
    CHECK(core.driver.end_count == 0);
}

TEST_CASE("session core: filters hear of the session's start and end, once each") {
    auto hooks = std::make_shared<SessionHooks>();
    Core core(hooks);
    CHECK(hooks->starts == 0);
    core.establish();
    CHECK(hooks->starts == 1);
    core.session.peer_closed(Side::component, "closed the connection");
    core.session.shut_down();  // after the end: nothing more
    CHECK(hooks->ends == 1);
    CHECK(core.driver.notes == std::vector<std::string>{"session started", "session ended"});
    CHECK(core.driver.end_count == 1);
    CHECK(core.driver.logged("down: component closed the connection"));
    CHECK(core.counters.components_connected == 0);
}

TEST_CASE("session core: a session that never authenticated ends without the filters hearing") {
    auto hooks = std::make_shared<SessionHooks>();
    Core core(hooks);
    core.from_component(kComponentHeader);
    core.session.timed_out("handshake");
    CHECK(hooks->starts == 0);
    CHECK(hooks->ends == 0);
    CHECK(core.driver.to(Side::component).find("<connection-timeout ") != std::string::npos);
    // The server was sent the MUC's header: it gets the closing tag.
    CHECK(core.driver.to(Side::server) == kComponentHeader + "</stream:stream>");
    CHECK(core.driver.logged("handshake did not complete in time"));
}

TEST_CASE("session core: a stream to another domain is refused; the server is never asked") {
    Core core;
    core.from_component(
        "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
        "xmlns='jabber:component:accept' to='other.example.org'>");
    CHECK(core.driver.upstream_asked == 0);
    const std::string& answer = core.driver.to(Side::component);
    CHECK(answer.starts_with("<?xml version='1.0'?><stream:stream "));
    CHECK(answer.find("from='conference.localhost'") != std::string::npos);
    CHECK(answer.find("id='muc-offline-proxy-7'") != std::string::npos);
    CHECK(answer.find("<host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>") !=
          std::string::npos);
    CHECK(answer.ends_with("</stream:stream>"));
    CHECK(core.driver.to(Side::server).empty());
    CHECK(core.counters.stream_errors_by_condition[{"component", "host-unknown"}] == 1);
    CHECK(core.driver.end_count == 1);

    SUBCASE("compared after nameprep") {
        Core upper;
        upper.from_component(
            "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
            "xmlns='jabber:component:accept' to='Conference.LOCALHOST'>");
        CHECK(upper.driver.upstream_asked == 1);
        CHECK(upper.driver.end_count == 0);
    }
}

TEST_CASE("session core: bad XML gets a stream error; what came before is delivered") {
    const std::string good = "<message to='a@b/c'><body>before</body></message><presence/>";
    struct Case {
        Side offender;
        std::string bad;
        std::string condition;
    };
    for (const Case& c :
         {Case{Side::component, "<!-- no comments -->", "restricted-xml"},
          Case{Side::component, "<message></iq>", "not-well-formed"},
          Case{Side::component, "<message><body>&xxe;</body></message>", "restricted-xml"},
          Case{Side::component, "<?php?>", "restricted-xml"},
          Case{Side::server, "<message><body>&bad;</body></message>", "restricted-xml"}}) {
        CAPTURE(c.bad);
        Core core;
        core.establish();
        core.session.feed(c.offender, good + c.bad + "<message id='after'/>", xmpp::Moment(0));
        const std::string& at_offender = core.driver.to(c.offender);
        CHECK(at_offender.starts_with("<stream:error "));
        CHECK(at_offender.find("<" + c.condition +
                               " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>") !=
              std::string::npos);
        CHECK(at_offender.ends_with("</stream:error></stream:stream>"));
        CHECK(core.driver.to(session::other(c.offender)) == good + "</stream:stream>");
        CHECK(core.driver.end_count == 1);
        CHECK(core.counters.stream_errors_sent == 1);
        // Nothing is read or written after the end.
        core.session.feed(session::other(c.offender), "<presence/>", xmpp::Moment(0));
        CHECK(core.driver.to(c.offender).ends_with("</stream:stream>"));
        CHECK(core.driver.to(session::other(c.offender)) == good + "</stream:stream>");
    }
}

TEST_CASE("session core: a stanza over the size limit is a policy violation; under it, it passes") {
    Core core(nullptr, 4096);
    core.establish();
    const std::string fits = "<message><body>" + std::string(3000, 'z') + "</body></message>";
    core.from_component(fits);
    CHECK(core.driver.to(Side::server) == fits);
    core.from_component("<message><body>" + std::string(5000, 'z'));
    CHECK(core.driver.to(Side::component)
              .find("<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>") !=
          std::string::npos);
    CHECK(core.driver.to(Side::server) == fits + "</stream:stream>");
}

TEST_CASE("session core: an unreachable server: the MUC is answered as its server would") {
    Core core;
    core.from_component(kComponentHeader);
    core.session.upstream_failed("the proxy cannot reach the XMPP server at x:1", "cannot connect");
    const std::string& answer = core.driver.to(Side::component);
    CHECK(answer.starts_with("<?xml version='1.0'?><stream:stream "));
    CHECK(answer.find("<remote-connection-failed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                      "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>the proxy cannot reach "
                      "the XMPP server at x:1</text>") != std::string::npos);
    CHECK(answer.ends_with("</stream:stream>"));
    CHECK(core.driver.end_count == 1);
}

TEST_CASE("session core: shutdown: the MUC gets system-shutdown, the server the closing tag") {
    Core core;
    core.establish();
    core.from_component("<presence/>");
    core.session.shut_down();
    CHECK(core.driver.to(Side::component).starts_with("<stream:error "));
    CHECK(core.driver.to(Side::component).find("<system-shutdown ") != std::string::npos);
    CHECK(core.driver.to(Side::server) == "<presence/></stream:stream>");
    core.session.shut_down();
    CHECK(core.counters.stream_errors_sent == 1);
}

TEST_CASE("session core: nothing is written to a side after its closing tag") {
    Core core;
    core.establish();
    core.from_server("<message id='last'/></stream:stream>");
    CHECK(core.driver.to(Side::component) == "<message id='last'/></stream:stream>");
    core.from_component("<presence id='still'/>");
    CHECK(core.driver.to(Side::server) == "<presence id='still'/>");
    core.session.shut_down();
    // The component's stream is closed already: no stream error after its closing tag.
    CHECK(core.driver.to(Side::component) == "<message id='last'/></stream:stream>");
    CHECK(core.driver.to(Side::server) == "<presence id='still'/></stream:stream>");
}

TEST_CASE("session core: a peer's stream error is relayed and counted by condition") {
    Core core;
    core.establish();
    const std::string error =
        "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>";
    core.from_server(error);
    CHECK(core.driver.to(Side::component) == error);
    CHECK(core.counters.peer_stream_errors_by_condition[{"server", "conflict"}] == 1);
    CHECK(core.driver.logged("the server sent stream error <conflict/>"));
}

TEST_CASE(
    "session core: a persist holds what depends on it and what must not overtake it; the rest "
    "goes out at once") {
    Core core(std::make_shared<PersistWithFallback>());
    core.establish();
    core.from_component(
        "<message id='before' to='a@x'/><presence id='p' to='b@x/r'/>"
        "<message id='after' to='b@x/r'/><message id='other' to='c@x'/>");
    // The presence waits for its commit; the message to the same occupant waits behind it.
    CHECK(core.driver.to(Side::server) ==
          "<message id='before' to='a@x'/><message id='other' to='c@x'/>");
    CHECK(core.session.holding());
    CHECK(core.session.held_bytes() > 0);
    // The other direction is not held up.
    core.from_server("<message id='down' to='room@conference.localhost'/>");
    CHECK(core.driver.to(Side::component) == "<message id='down' to='room@conference.localhost'/>");
    REQUIRE(core.driver.waiting.size() == 1);
    core.answer_all(true);
    CHECK(core.driver.to(Side::server) ==
          "<message id='before' to='a@x'/><message id='other' to='c@x'/>"
          "<presence id='p' to='b@x/r'/><message id='after' to='b@x/r'/>");
    CHECK_FALSE(core.session.holding());
    CHECK(core.session.held_bytes() == 0);
    // Nothing waits any more.
    core.from_component("<message id='later' to='b@x/r'/>");
    CHECK(core.driver.to(Side::server).ends_with("<message id='later' to='b@x/r'/>"));
}

TEST_CASE("session core: held output goes out as each commit settles, not when the last one does") {
    Core core(std::make_shared<PersistWithFallback>());
    core.establish();
    core.from_component(
        "<presence id='p1' to='a@x/r'/><message id='m1' to='a@x/r'/>"
        "<presence id='p2' to='b@x/r'/><message id='m2' to='b@x/r'/>"
        "<presence id='p3' to='c@x/r'/>");
    REQUIRE(core.driver.waiting.size() == 3);
    const std::uint64_t first = core.driver.waiting[0], second = core.driver.waiting[1],
                        third = core.driver.waiting[2];
    CHECK(core.driver.to(Side::server).empty());

    SUBCASE("in order") {
        core.session.durable(first, true);
        CHECK(core.driver.to(Side::server) ==
              "<presence id='p1' to='a@x/r'/><message id='m1' to='a@x/r'/>");
        // A's output went out: a new stanza to A waits for nothing; one to B still does.
        core.from_component("<message id='a-later' to='a@x/r'/><message id='b-later' to='b@x/r'/>");
        CHECK(core.driver.to(Side::server).ends_with("<message id='a-later' to='a@x/r'/>"));
        core.session.durable(second, true);
        CHECK(core.driver.to(Side::server)
                  .ends_with("<presence id='p2' to='b@x/r'/><message id='m2' to='b@x/r'/>"));
        CHECK(core.session.holding());
        // Held behind B's output, it waits for every barrier there was when it came.
        core.session.durable(third, true);
        CHECK(core.driver.to(Side::server)
                  .ends_with("<presence id='p3' to='c@x/r'/><message id='b-later' to='b@x/r'/>"));
        CHECK_FALSE(core.session.holding());
        CHECK(core.session.held_bytes() == 0);
    }
    SUBCASE("out of order: a later commit waits for the earlier one") {
        core.session.durable(second, true);
        CHECK(core.driver.to(Side::server).empty());
        core.session.durable(first, true);
        CHECK(core.driver.to(Side::server) ==
              "<presence id='p1' to='a@x/r'/><message id='m1' to='a@x/r'/>"
              "<presence id='p2' to='b@x/r'/><message id='m2' to='b@x/r'/>");
        core.session.durable(third, true);
        CHECK(core.driver.to(Side::server).ends_with("<presence id='p3' to='c@x/r'/>"));
        CHECK_FALSE(core.session.holding());
    }
}

TEST_CASE("session core: a failed commit replaces what depended on it by the fallback") {
    Core core(std::make_shared<PersistWithFallback>());
    core.establish();
    core.from_component(
        "<iq type='result' id='r1'/><message id='next'/><presence id='p'/><iq type='result' "
        "id='r2'/><message id='drop-me'/>");
    CHECK(core.driver.to(Side::server).empty());
    CHECK(core.driver.waiting.size() == 3);

    SUBCASE("failed") {
        core.answer_all(false);
        CHECK(core.driver.to(Side::server) ==
              "<iq type='error' id='r1'/><message id='next'/><presence id='p'/>"
              "<iq type='error' id='r2'/>");
        CHECK(core.counters.answers_not_durable == 2);
        // The count of stanzas written follows what went out, not what was decided.
        CHECK(core.counters.stanzas_to_server == 4 + 1);  // and the handshake before
    }
    SUBCASE("durable") {
        core.answer_all(true);
        CHECK(core.driver.to(Side::server) ==
              "<iq type='result' id='r1'/><message id='r1-extra'/><message id='next'/>"
              "<presence id='p'/><iq type='result' id='r2'/><message id='r2-extra'/>");
        CHECK(core.counters.answers_not_durable == 0);
        CHECK(core.counters.stanzas_to_server == 6 + 1);
        // What depended on a commit says so; the rest does not.
        int after_persist = 0;
        for (const auto& write : core.driver.writes) after_persist += write.after_persist;
        CHECK(after_persist == 5);  // each iq's answer and extra, the presence
    }
}

TEST_CASE("session core: without a store, persist decisions cost nothing") {
    Core core(std::make_shared<PersistWithFallback>(), 1024 * 1024, /*durable=*/false);
    core.establish();
    core.from_component("<iq type='result' id='r1'/><message id='drop-me'/>");
    CHECK(core.driver.waiting.empty());
    CHECK(core.driver.to(Side::server) == "<iq type='result' id='r1'/><message id='r1-extra'/>");
}

TEST_CASE("session core: a shutdown while output is held: the held answer goes first") {
    Core core(std::make_shared<PersistWithFallback>());
    core.establish();
    core.from_server("<iq type='result' id='r1'/>");
    core.session.shut_down();
    CHECK(core.driver.end_count == 1);
    CHECK(core.driver.to(Side::component).empty());
    CHECK(core.session.holding());  // the driver does not close the sides yet
    core.answer_all(true);
    const std::string& at_component = core.driver.to(Side::component);
    CHECK(
        at_component.starts_with("<iq type='result' id='r1'/><message id='r1-extra'/>"
                                 "<stream:error "));
    CHECK(at_component.find("<system-shutdown ") != std::string::npos);
    CHECK(at_component.ends_with("</stream:stream>"));
    CHECK_FALSE(core.session.holding());
}

TEST_CASE("session core: past the watermark the rest of a read waits, then is handled in order") {
    Core core(std::make_shared<SessionHooks>());
    core.establish();
    core.driver.over_watermark = true;
    core.from_component("<message id='1'/><message id='2'/><message id='3'/>");
    CHECK(core.driver.to(Side::server) == "<message id='1'/>");
    CHECK(core.session.input_kept());
    core.driver.over_watermark = false;
    CHECK(core.session.resume_input(xmpp::Moment(0)));
    CHECK(core.driver.to(Side::server) == "<message id='1'/><message id='2'/><message id='3'/>");
    CHECK_FALSE(core.session.input_kept());
}
