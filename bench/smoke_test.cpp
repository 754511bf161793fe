// The harness's own smoke: seconds long, correctness only (every stanza arrives once, in
// order, byte for byte; the proxy's copies are exactly those owed). No timing is asserted.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "load/arrival_check.hpp"
#include "load/load_run.hpp"
#include "load/room_traffic.hpp"
#include "load/state_file.hpp"

namespace {

std::string proxy_binary() {
    const char* given = std::getenv("MUC_OFFLINE_PROXY");
    return given ? given : "build/muc-offline-proxy";
}

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "bench-smoke-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};

bench::RoomShape small_rooms() {
    bench::RoomShape rooms;
    rooms.rooms = 20;
    rooms.occupants = 5;
    rooms.registrations = 12;
    rooms.opted_in = {0, 5, 7};  // one present, two absent: two copies per message
    return rooms;
}

// The state of `rooms` imported into dir/prepared.db, as the proxy's store.
void prepare_store(const std::string& proxy, const std::filesystem::path& dir,
                   const bench::RoomShape& rooms) {
    bench::write_state_json(dir / "state.json", rooms, 0);
    bench::import_state(proxy, dir / "state.json", dir / "prepared.db");
}

// A run through `kind` with the store prepared in `dir`, latency measured.
bench::RunSpec paced_run(bench::RelayKind kind, const std::string& proxy,
                         const std::filesystem::path& dir) {
    bench::RunSpec spec;
    spec.relay.kind = kind;
    spec.relay.proxy_binary = proxy;
    spec.relay.work_dir = dir;
    spec.relay.store = dir / "prepared.db";
    spec.stall_seconds = 20;
    spec.latency = true;
    return spec;
}

std::string all_of(const bench::Script& script, std::uint64_t count) {
    std::string bytes;
    for (std::uint64_t i = 0; i < count; ++i) script.append(i, bytes);
    return bytes;
}

}  // namespace

TEST_CASE("the arrival check accepts the stream as sent, in any split") {
    auto script = bench::client_traffic(small_rooms());
    const std::string bytes = all_of(*script, 100);
    bench::ArrivalCheck check(*script, 100, false, nullptr);
    std::string_view rest;
    std::string buffer;
    for (std::size_t at = 0; at < bytes.size(); at += 97) {
        buffer.append(bytes.substr(at, 97));
        std::string_view view(buffer);
        REQUIRE(check.consume(view, 0));
        buffer.erase(0, buffer.size() - view.size());
    }
    CHECK(check.done());
    CHECK(check.stanzas() == 100);
    CHECK(check.stanza_bytes() == bytes.size());
}

TEST_CASE("the arrival check reports a lost, a repeated, a reordered and a changed stanza") {
    auto script = bench::client_traffic(small_rooms());
    std::string s0, s1, s2;
    script->append(0, s0);
    script->append(1, s1);
    script->append(2, s2);
    auto fails = [&](const std::string& bytes) {
        bench::ArrivalCheck check(*script, 3, false, nullptr);
        std::string_view view(bytes);
        return !check.consume(view, 0) && !check.error().empty();
    };
    CHECK(fails(s0 + s2));
    CHECK(fails(s0 + s0 + s1));
    CHECK(fails(s1 + s0 + s2));
    std::string changed = s0 + s1 + s2;
    changed[s0.size() + 40] ^= 1;
    CHECK(fails(changed));
    CHECK(fails(s0 + s1 + s2 + s2));
}

TEST_CASE("the arrival check wants each owed copy once, before the next stanza") {
    const bench::RoomShape rooms = small_rooms();
    auto script = bench::muc_broadcasts(rooms);
    std::string first_message;
    for (int j = 0; j < rooms.occupants; ++j)
        script->append(static_cast<std::uint64_t>(j), first_message);
    std::string template_stanza;
    script->append(0, template_stanza);
    auto copy_to = [&](const std::string& member) {
        const auto to = template_stanza.find(" to='") + 5;
        const auto end = template_stanza.find('\'', to);
        return template_stanza.substr(0, to) + member + template_stanza.substr(end);
    };
    const std::string a = copy_to(rooms.member(0, 5)), b = copy_to(rooms.member(0, 7));
    std::string next;
    script->append(static_cast<std::uint64_t>(rooms.occupants), next);
    auto verdict = [&](const std::string& bytes) {
        bench::ArrivalCheck check(*script, static_cast<std::uint64_t>(rooms.occupants) + 1, true,
                                  nullptr);
        std::string_view view(bytes);
        return check.consume(view, 0) && check.done();
    };
    CHECK(verdict(first_message + b + a + next));
    CHECK(verdict(template_stanza + a + first_message.substr(template_stanza.size()) + b + next));
    CHECK_FALSE(verdict(first_message + a + next));                           // one missing
    CHECK_FALSE(verdict(first_message + a + a + b + next));                   // one twice
    CHECK_FALSE(verdict(first_message + a + copy_to("x@localhost") + next));  // not owed
}

TEST_CASE("the arrival check lets a stanza that may wait for a commit come late, once") {
    const bench::RoomShape rooms = small_rooms();
    auto script = bench::guests_among_broadcasts(rooms);
    // A cycle: the message to each occupant, a presence, an iq; then a guest's join and leave.
    const std::uint64_t cycle = static_cast<std::uint64_t>(rooms.occupants) + 2;
    const std::uint64_t count = cycle + 2 + 1;  // and the next cycle's first stanza
    REQUIRE_FALSE(script->may_arrive_late(cycle - 1));
    REQUIRE(script->may_arrive_late(cycle));
    REQUIRE(script->may_arrive_late(cycle + 1));
    std::string head, join, leave, next;
    for (std::uint64_t i = 0; i < cycle; ++i) script->append(i, head);
    script->append(cycle, join);
    script->append(cycle + 1, leave);
    script->append(cycle + 2, next);
    auto verdict = [&](const std::string& bytes) {
        bench::ArrivalCheck check(*script, count, false, nullptr);
        std::string_view view(bytes);
        return check.consume(view, 0) && check.done();
    };
    CHECK(verdict(head + join + leave + next));
    CHECK(verdict(head + next + join + leave));
    CHECK(verdict(head + join + next + leave));
    CHECK_FALSE(verdict(head + next + join));                 // the leave never came
    CHECK_FALSE(verdict(head + next + join + join + leave));  // twice
    CHECK_FALSE(verdict(next + head + join + leave));         // room traffic may not be reordered
}

TEST_CASE(
    "smoke: guests joining among broadcasts, unpaced then paced, through every relay but "
    "direct") {
    const std::string proxy = proxy_binary();
    REQUIRE(std::filesystem::exists(proxy));
    TempDir dir;
    const bench::RoomShape rooms = small_rooms();
    prepare_store(proxy, dir.path, rooms);
    auto join = bench::joins(rooms);
    auto traffic = bench::guests_among_broadcasts(rooms);
    const std::uint64_t n = 1400;
    for (bench::RelayKind kind :
         {bench::RelayKind::socat, bench::RelayKind::proxy_off, bench::RelayKind::proxy_on}) {
        const std::string relay = bench::relay_name(kind);
        CAPTURE(relay);
        bench::RunSpec spec = paced_run(kind, proxy, dir.path);
        // Unpaced, as the suite measures its throughput: more joins wait on one commit.
        spec.phases = {bench::Phase{{join.get(), rooms.occupant_sessions()}, {}},
                       bench::Phase{{traffic.get(), n}, {}},
                       bench::Phase{{traffic.get(), n, 5000}, {}}};
        const bench::RunResult r = bench::run_load(spec);
        INFO(r.error);
        REQUIRE(r.ok);
        CHECK(r.to_server.stanzas == n);
        CHECK(r.to_server.waited_p50_us > 0);
    }
}

TEST_CASE("smoke: traffic both ways through every relay arrives complete, in order, unchanged") {
    const std::string proxy = proxy_binary();
    if (!std::filesystem::exists(proxy)) {
        MESSAGE("no proxy binary at " << proxy);
        REQUIRE(std::filesystem::exists(proxy));
    }
    TempDir dir;
    const bench::RoomShape rooms = small_rooms();
    prepare_store(proxy, dir.path, rooms);
    auto join = bench::joins(rooms);
    auto broadcasts = bench::muc_broadcasts(rooms);
    auto clients = bench::client_traffic(rooms);
    const std::uint64_t n = 3000;
    // Messages with at least one stanza among the first n (a cycle is the message to each
    // occupant, a presence and an iq).
    const std::uint64_t cycle = static_cast<std::uint64_t>(rooms.occupants) + 2;
    const std::uint64_t messages = (n + cycle - 1) / cycle;

    for (bench::RelayKind kind : {bench::RelayKind::direct, bench::RelayKind::socat,
                                  bench::RelayKind::proxy_off, bench::RelayKind::proxy_on}) {
        const std::string relay = bench::relay_name(kind);
        CAPTURE(relay);
        bench::RunSpec spec = paced_run(kind, proxy, dir.path);
        spec.phases = {bench::Phase{{join.get(), rooms.occupant_sessions()}, {}},
                       bench::Phase{{broadcasts.get(), n}, {clients.get(), n}},
                       bench::Phase{{broadcasts.get(), n, 20000}, {clients.get(), n, 20000}}};
        const bench::RunResult r = bench::run_load(spec);
        INFO(r.error);
        REQUIRE(r.ok);
        CHECK(r.to_server.stanzas == n);
        CHECK(r.to_muc.stanzas == n);
        // Every message in every room owes a copy to each of its two absent opted-in members.
        CHECK(r.to_server.copies == (kind == bench::RelayKind::proxy_on ? 2 * messages : 0));
        CHECK(r.to_server.p50_us > 0);
        // The proxy's own loop figures come from its /metrics; the other relays have none.
        const bool proxy =
            kind == bench::RelayKind::proxy_off || kind == bench::RelayKind::proxy_on;
        CHECK((r.loop_busy.iterations > 0) == proxy);
        if (proxy) CHECK(r.loop_busy.worst_us >= r.loop_busy.p99_us);
        // Its CPU time is observed over the same iterations.
        CHECK(r.loop_cpu.iterations == r.loop_busy.iterations);
    }
}

TEST_CASE("smoke: fan-out to 300 absent members, every copy once") {
    const std::string proxy = proxy_binary();
    REQUIRE(std::filesystem::exists(proxy));
    TempDir dir;
    bench::RoomShape none;
    none.rooms = 0;
    bench::write_state_json(dir.path / "state.json", none, 300);
    bench::import_state(proxy, dir.path / "state.json", dir.path / "prepared.db");
    auto join = bench::fanout_join();
    auto messages = bench::fanout_messages(bench::FanoutShape{300});
    bench::RunSpec spec;
    spec.relay.kind = bench::RelayKind::proxy_on;
    spec.relay.proxy_binary = proxy;
    spec.relay.work_dir = dir.path;
    spec.relay.store = dir.path / "prepared.db";
    spec.stall_seconds = 20;
    spec.phases = {bench::Phase{{join.get(), 1}, {}}, bench::Phase{{messages.get(), 50}, {}}};
    const bench::RunResult r = bench::run_load(spec);
    INFO(r.error);
    REQUIRE(r.ok);
    CHECK(r.to_server.stanzas == 50);
    CHECK(r.to_server.copies == 50 * 300);
}
