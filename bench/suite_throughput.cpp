#include <map>
#include <memory>
#include <utility>

#include "report_format.hpp"
#include "suite_sections.hpp"

namespace bench {

void Suite::throughput() {
    const RoomShape rooms;
    auto join = joins(rooms);
    auto broadcasts = muc_broadcasts(rooms);
    auto clients = client_traffic(rooms);
    const auto store = store_for(rooms, 0);
    const std::uint64_t n = scaled(300000);
    struct Figures {
        std::vector<double> up, up_mb, down, down_mb, up_cpu, down_cpu, copies;
    };
    std::map<RelayKind, Figures> figures;
    std::map<RelayKind, std::vector<double>> up_vs_socat, down_vs_socat, up_vs_direct,
        down_vs_direct;
    const int failures_before = failures_;
    for (int round = 0; round < options_.rounds; ++round) {
        std::map<RelayKind, std::pair<double, double>> this_round;
        for (RelayKind kind : kRelays) {
            const Phase setup{{join.get(), rooms.occupant_sessions()}, {}};
            RunResult up = go(kind, store, {setup, Phase{{broadcasts.get(), n}, {}}}, false,
                              "MUC -> server throughput");
            RunResult down = go(kind, store, {setup, Phase{{}, {clients.get(), n}}}, false,
                                "server -> MUC throughput");
            Figures& f = figures[kind];
            if (up.ok) {
                f.up.push_back(up.to_server.stanzas_per_second());
                f.up_mb.push_back(up.to_server.megabytes_per_second());
                f.copies.push_back(static_cast<double>(up.to_server.copies));
                if (kind != RelayKind::direct)
                    f.up_cpu.push_back(up.relay_cpu_us_per(up.to_server.stanzas));
            }
            if (down.ok) {
                f.down.push_back(down.to_muc.stanzas_per_second());
                f.down_mb.push_back(down.to_muc.megabytes_per_second());
                if (kind != RelayKind::direct)
                    f.down_cpu.push_back(down.relay_cpu_us_per(down.to_muc.stanzas));
            }
            this_round[kind] = {up.ok ? up.to_server.stanzas_per_second() : 0,
                                down.ok ? down.to_muc.stanzas_per_second() : 0};
        }
        // A failed run (0 stanzas/s) leaves its round out of the ratios it is part of.
        auto add_ratio = [](std::vector<double>& ratios, double a, double b) {
            if (a > 0 && b > 0) ratios.push_back(a / b);
        };
        for (RelayKind kind : kRelays) {
            add_ratio(up_vs_direct[kind], this_round[kind].first,
                      this_round[RelayKind::direct].first);
            add_ratio(down_vs_direct[kind], this_round[kind].second,
                      this_round[RelayKind::direct].second);
            add_ratio(up_vs_socat[kind], this_round[kind].first,
                      this_round[RelayKind::socat].first);
            add_ratio(down_vs_socat[kind], this_round[kind].second,
                      this_round[RelayKind::socat].second);
        }
    }
    figures_.to_server_vs_socat.rounds = up_vs_socat[RelayKind::proxy_on];
    figures_.to_muc_vs_socat.rounds = down_vs_socat[RelayKind::proxy_on];
    unless_failed_since(failures_before, {&figures_.to_server_vs_socat, &figures_.to_muc_vs_socat});
    out_ << "\n### Throughput, " << n << " stanzas per direction per run, " << options_.rounds
         << " rounds\n\n"
         << "MUC → server: room messages broadcast to 10 occupants each (~600 B), presence "
            "broadcasts, iq results; the proxy with the feature on also injects one copy per "
            "message (to the room's absent opted-in member; counted in MB/s, not in "
            "stanzas/s). Server → MUC: groupchat messages, presences, pings, 5% registration "
            "form requests. Median (min–max) over rounds; ratios are medians of the per-round "
            "ratios.\n\n"
         << "| relay | MUC→server stanzas/s | MB/s | ×direct | ×socat | server→MUC "
            "stanzas/s | MB/s | ×direct | ×socat | relay CPU µs/stanza (→server, →MUC) |\n"
         << "|---|---|---|---|---|---|---|---|---|---|\n";
    for (RelayKind kind : kRelays) {
        const Figures& f = figures[kind];
        out_ << "| " << relay_name(kind) << " | " << spread_k(f.up) << " | "
             << fixed(median(f.up_mb), 0) << " | " << fixed(median(up_vs_direct[kind]), 2) << " | "
             << fixed(median(up_vs_socat[kind]), 2) << " | " << spread_k(f.down) << " | "
             << fixed(median(f.down_mb), 0) << " | " << fixed(median(down_vs_direct[kind]), 2)
             << " | " << fixed(median(down_vs_socat[kind]), 2) << " | "
             << (kind == RelayKind::direct
                     ? std::string("–")
                     : fixed(median(f.up_cpu), 2) + ", " + fixed(median(f.down_cpu), 2))
             << " |\n";
    }
    out_.flush();
}

// The Throughput table's MUC -> server broadcasts with occupants coming and going: the
// joins are commits the guests' presences wait for, so those may come after later
// stanzas; a run ends at the last arrival of any stanza, late ones included.
void Suite::throughput_with_guests() {
    const RoomShape rooms;
    auto join = joins(rooms);
    auto traffic = guests_among_broadcasts(rooms);
    const auto store = store_for(rooms, 0);
    const std::uint64_t n = scaled(300000);
    struct Figures {
        std::vector<double> rate, mb, cpu, vs_socat;
    };
    const RelayKind relays[] = {RelayKind::socat, RelayKind::proxy_off, RelayKind::proxy_on};
    std::map<RelayKind, Figures> figures;
    const int failures_before = failures_;
    for (int round = 0; round < options_.rounds; ++round) {
        std::map<RelayKind, double> this_round;
        for (RelayKind kind : relays) {
            const Phase setup{{join.get(), rooms.occupant_sessions()}, {}};
            RunResult r = go(kind, store, {setup, Phase{{traffic.get(), n}, {}}}, false,
                             "MUC -> server throughput with guests");
            if (!r.ok) continue;
            Figures& f = figures[kind];
            this_round[kind] = r.to_server.stanzas_per_second();
            f.rate.push_back(r.to_server.stanzas_per_second());
            f.mb.push_back(r.to_server.megabytes_per_second());
            f.cpu.push_back(r.relay_cpu_us_per(r.to_server.stanzas));
        }
        if (!this_round.contains(RelayKind::socat)) continue;
        for (auto [kind, rate] : this_round)
            figures[kind].vs_socat.push_back(rate / this_round[RelayKind::socat]);
    }
    figures_.guests_vs_socat.rounds = figures[RelayKind::proxy_on].vs_socat;
    unless_failed_since(failures_before, {&figures_.guests_vs_socat});
    out_ << "\n### Throughput with occupants joining and leaving, MUC → server, " << n
         << " stanzas per run, " << options_.rounds << " rounds\n\n"
         << "The Throughput table's broadcasts with a guest joining the room and leaving it "
            "after each cycle: 2 stanzas in 14 are a new occupant's self-presence or its "
            "leave, more churn than the 1 in 8 the issue names. With the feature on each "
            "join is a commit to the store (SQLite, fsync) that the guest's two presences "
            "wait for, so they may arrive after later stanzas; stanzas/s counts every stanza "
            "sent, up to the last arrival, late ones included, and excludes the copies (one "
            "per message, counted in MB/s). Median (min–max) over rounds; ×socat is the "
            "median of the per-round ratios.\n\n"
         << "| relay | stanzas/s | MB/s | ×socat | relay CPU µs/stanza |\n"
         << "|---|---|---|---|---|\n";
    for (RelayKind kind : relays) {
        const Figures& f = figures[kind];
        out_ << "| " << relay_name(kind) << " | " << spread_k(f.rate) << " | "
             << fixed(median(f.mb), 0) << " | " << fixed(median(f.vs_socat), 2) << " | "
             << fixed(median(f.cpu), 2) << " |\n";
    }
    out_.flush();
}

}  // namespace bench
