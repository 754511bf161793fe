// The held output on its own, driven as the session core drives it, through a long run of
// overlapping commits: it is never empty, so the bytes that went out are dropped from the
// front while more are held behind them.
#include "session/held_output.hpp"

#include <doctest/doctest.h>

#include <deque>
#include <map>
#include <string>
#include <vector>

namespace {

using session::HeldOutput;
using session::Side;
using session::Unit;
using session::Write;

struct Writer {
    HeldOutput held;
    std::vector<std::string> written;  // in the order they went out
    std::deque<std::uint64_t> unsettled;

    // As ComponentSession::send decides.
    void send(const std::string& bytes, bool after_persist) {
        const Write write{Side::server, bytes, Unit::relayed, after_persist};
        if (held.holding() && (after_persist || held.must_wait(write, std::nullopt))) {
            held.hold(write);
            return;
        }
        written.push_back(bytes);
    }
    void settle_oldest() {
        held.settle(unsettled.front(), true);
        unsettled.pop_front();
        held.release([this](const Write& write) { written.emplace_back(write.bytes); });
    }
};

}  // namespace

TEST_CASE("held output: overlapping commits keep every recipient's order, and nothing else waits") {
    Writer writer;
    std::map<std::string, std::vector<std::string>> sent_to;  // recipient -> stanzas, in order
    const std::string padding(120, 'x');
    for (int i = 0; i < 400; ++i) {
        const std::string occupant = "u" + std::to_string(i % 7) + "@x/r";
        const std::string presence = "<presence id='p" + std::to_string(i) + "' to='" + occupant +
                                     "'><status>" + padding + "</status></presence>";
        const std::string message =
            "<message id='m" + std::to_string(i) + "' to='" + occupant + "'/>";
        const std::string elsewhere =
            "<message id='e" + std::to_string(i) + "' to='e" + std::to_string(i) + "@x'/>";
        writer.held.start_stanza();
        writer.unsettled.push_back(writer.held.add_barrier(Side::server, {}));
        writer.send(presence, /*after_persist=*/true);
        writer.held.start_stanza();
        writer.send(message, false);
        writer.held.start_stanza();
        const std::size_t before = writer.written.size();
        writer.send(elsewhere, false);
        // A recipient with nothing held is not held up.
        REQUIRE(writer.written.size() == before + 1);
        CHECK(writer.written.back() == elsewhere);
        sent_to[occupant].push_back(presence);
        sent_to[occupant].push_back(message);
        if (writer.unsettled.size() > 3) writer.settle_oldest();
        REQUIRE(writer.held.holding());
    }
    while (!writer.unsettled.empty()) writer.settle_oldest();
    CHECK_FALSE(writer.held.holding());
    CHECK(writer.held.bytes() == 0);

    std::map<std::string, std::vector<std::string>> received;
    for (const std::string& stanza : writer.written) {
        const std::size_t to = stanza.find("to='") + 4;
        const std::string recipient = stanza.substr(to, stanza.find('\'', to) - to);
        if (recipient.starts_with("u")) received[recipient].push_back(stanza);
    }
    CHECK(received == sent_to);
    CHECK(writer.written.size() == 3 * 400);
}
