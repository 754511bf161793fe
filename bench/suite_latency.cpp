#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "report_format.hpp"
#include "suite_sections.hpp"

namespace bench {
namespace {

// "p99 / p99.9 / worst" as medians over rounds, or – for a relay without the histogram.
std::string loop_busy_cell(const std::vector<double>& p99, const std::vector<double>& p999,
                           const std::vector<double>& worst) {
    if (p99.empty()) return "–";
    auto bound = [](double us) { return std::isinf(us) ? std::string("> 1 s") : fixed(us, 0); };
    return "≤ " + bound(median(p99)) + " / " + bound(median(p999)) + " / " + bound(median(worst));
}

// One round's figures for the latency targets: the proxy (feature on) against socat.
void judge_latency(const std::map<RelayKind, RunResult>& round, LatencyFigures& judged) {
    const auto socat = round.find(RelayKind::socat), proxy = round.find(RelayKind::proxy_on);
    if (socat != round.end()) {
        judged.socat_to_server_p999.rounds.push_back(socat->second.to_server.p999_us);
        judged.socat_to_muc_p999.rounds.push_back(socat->second.to_muc.p999_us);
    }
    if (proxy == round.end()) return;
    judged.to_server_p999.rounds.push_back(proxy->second.to_server.p999_us);
    judged.to_muc_p999.rounds.push_back(proxy->second.to_muc.p999_us);
    if (socat == round.end()) return;
    judged.to_server_p99_over_socat.rounds.push_back(proxy->second.to_server.p99_us -
                                                     socat->second.to_server.p99_us);
    judged.to_muc_p99_over_socat.rounds.push_back(proxy->second.to_muc.p99_us -
                                                  socat->second.to_muc.p99_us);
}

}  // namespace

// MUC -> server with a guest joining and leaving the room after each cycle (2 stanzas in
// 14): with a store, each join is a commit that its self-presence waits for. What does
// not depend on it (the room's traffic) must not wait too.
void Suite::latency_while_committing(double rate) {
    const RoomShape rooms;
    auto join = joins(rooms);
    auto traffic = guests_among_broadcasts(rooms);
    const auto store = store_for(rooms, 0);
    const std::uint64_t n = scaled(rate * 4);
    struct Figures {
        std::vector<double> p50, p99, p999, waited50, waited99;
    };
    std::map<RelayKind, Figures> figures;
    const RelayKind relays[] = {RelayKind::socat, RelayKind::proxy_on};
    for (int round = 0; round < options_.rounds; ++round) {
        for (RelayKind kind : relays) {
            const Phase setup{{join.get(), rooms.occupant_sessions()}, {}};
            const Phase paced{{traffic.get(), n, rate}, {}};
            RunResult r = go(kind, store, {setup, paced}, true, "latency while committing");
            if (!r.ok) continue;
            Figures& f = figures[kind];
            f.p50.push_back(r.to_server.p50_us);
            f.p99.push_back(r.to_server.p99_us);
            f.p999.push_back(r.to_server.p999_us);
            f.waited50.push_back(r.to_server.waited_p50_us);
            f.waited99.push_back(r.to_server.waited_p99_us);
        }
    }
    out_ << "\n### Latency while joins are committed, MUC → server at " << fixed(rate / 1000, 0)
         << "k stanzas/s (" << n << " stanzas per run, " << options_.rounds << " rounds), µs\n\n"
         << "A guest joins and leaves after each broadcast cycle (2 stanzas in 14); with the "
            "feature on each join is a commit to the store (SQLite, fsync) that the guest's "
            "self-presence waits for, and its leave waits behind it (same recipient). The "
            "room's traffic depends on no commit. Median (min–max) over rounds.\n\n"
         << "| relay | room traffic p50 | p99 | p99.9 | guests' presences p50 | p99 |\n"
         << "|---|---|---|---|---|---|\n";
    for (RelayKind kind : relays) {
        const Figures& f = figures[kind];
        out_ << "| " << relay_name(kind) << " | " << spread(f.p50, 0) << " | " << spread(f.p99, 0)
             << " | " << spread(f.p999, 0) << " | " << spread(f.waited50, 0) << " | "
             << spread(f.waited99, 0) << " |\n";
    }
    out_.flush();
}

void Suite::latency(double rate) {
    const RoomShape rooms;
    auto join = joins(rooms);
    auto broadcasts = muc_broadcasts(rooms);
    auto clients = client_traffic(rooms);
    const auto store = store_for(rooms, 0);
    const std::uint64_t n = scaled(rate * 4);
    struct Figures {
        std::vector<double> up50, up99, up999, down50, down99, down999;
        std::vector<double> busy99, busy999, busy_worst, cpu99, cpu999, cpu_worst;
    };
    std::map<RelayKind, Figures> figures;
    LatencyFigures& judged = figures_.latency[static_cast<int>(rate)];
    const int failures_before = failures_;
    for (int round = 0; round < options_.rounds; ++round) {
        std::map<RelayKind, RunResult> this_round;
        for (RelayKind kind : kRelays) {
            const Phase setup{{join.get(), rooms.occupant_sessions()}, {}};
            const Phase paced{{broadcasts.get(), n, rate}, {clients.get(), n, rate}};
            RunResult r = go(kind, store, {setup, paced}, true, "latency");
            if (!r.ok) continue;
            this_round[kind] = r;
            Figures& f = figures[kind];
            f.up50.push_back(r.to_server.p50_us);
            f.up99.push_back(r.to_server.p99_us);
            f.up999.push_back(r.to_server.p999_us);
            f.down50.push_back(r.to_muc.p50_us);
            f.down99.push_back(r.to_muc.p99_us);
            f.down999.push_back(r.to_muc.p999_us);
            if (r.loop_busy.iterations == 0) continue;
            f.busy99.push_back(r.loop_busy.p99_us);
            f.busy999.push_back(r.loop_busy.p999_us);
            f.busy_worst.push_back(r.loop_busy.worst_us);
            f.cpu99.push_back(r.loop_cpu.p99_us);
            f.cpu999.push_back(r.loop_cpu.p999_us);
            f.cpu_worst.push_back(r.loop_cpu.worst_us);
        }
        judge_latency(this_round, judged);
    }
    unless_failed_since(
        failures_before,
        {&judged.to_server_p99_over_socat, &judged.to_muc_p99_over_socat, &judged.to_server_p999,
         &judged.to_muc_p999, &judged.socat_to_server_p999, &judged.socat_to_muc_p999});
    out_ << "\n### One-way latency at " << fixed(rate / 1000, 0)
         << "k stanzas/s in each direction at once (" << n << " stanzas each way per run, "
         << options_.rounds << " rounds), µs\n\n"
         << "Sent in 1 ms batches; latency is from the write of a stanza's batch to the "
            "read that completes it, on one clock. Median (min–max) over rounds.\n\n"
         << "The last two columns are the proxy's own `_loop_busy_seconds` and "
            "`_loop_busy_cpu_seconds` histograms over the run: the bucket bounds under which "
            "99 %, 99.9 % and all of its loop iterations' callback time fell (a long "
            "iteration delays every stanza waiting behind it), then the same for the loop "
            "thread's CPU time in them. Where the time's tail is longer than the CPU's, the "
            "machine held the proxy up, not its own work.\n\n"
         << "| relay | →server p50 | →server p99 | →server p99.9 | →MUC p50 | →MUC p99 | "
            "→MUC p99.9 | p99 added vs direct (→server, →MUC) | loop busy p99 / p99.9 / "
            "worst, µs | loop CPU p99 / p99.9 / worst, µs |\n"
         << "|---|---|---|---|---|---|---|---|---|---|\n";
    const Figures& direct = figures[RelayKind::direct];
    for (RelayKind kind : kRelays) {
        const Figures& f = figures[kind];
        out_ << "| " << relay_name(kind) << " | " << spread(f.up50, 0) << " | " << spread(f.up99, 0)
             << " | " << spread(f.up999, 0) << " | " << spread(f.down50, 0) << " | "
             << spread(f.down99, 0) << " | " << spread(f.down999, 0) << " | "
             << fixed(median(f.up99) - median(direct.up99), 0) << ", "
             << fixed(median(f.down99) - median(direct.down99), 0) << " | "
             << loop_busy_cell(f.busy99, f.busy999, f.busy_worst) << " | "
             << loop_busy_cell(f.cpu99, f.cpu999, f.cpu_worst) << " |\n";
    }
    out_.flush();
}

}  // namespace bench
