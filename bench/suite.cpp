#include "suite.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <sstream>

#include "config/config.hpp"
#include "fanout_memory.hpp"
#include "fanout_placement.hpp"
#include "load/load_run.hpp"
#include "load/room_traffic.hpp"
#include "load/state_file.hpp"
#include "report_format.hpp"
#include "suite_figures.hpp"
#include "targets.hpp"

namespace bench {
namespace {

// The fan-out whose runs also watch the proxy's memory (fanout_memory.hpp).
constexpr int kWatchedFanout = 10000;

constexpr RelayKind kRelays[] = {RelayKind::direct, RelayKind::socat, RelayKind::proxy_off,
                                 RelayKind::proxy_on};

class Suite {
  public:
    Suite(const SuiteOptions& options, std::ostream& out) : options_(options), out_(out) {}

    bool run() {
        if (wanted("throughput")) throughput();
        if (wanted("guests")) throughput_with_guests();
        if (wanted("latency")) latency(10000);
        if (wanted("latency")) latency(50000);
        if (wanted("committing")) latency_while_committing(10000);
        if (wanted("fanout")) fanout();
        if (wanted("memory")) memory();
        if (wanted("growth")) growth();
        write_targets(figures_, out_);
        return failures_ == 0;
    }

  private:
    // `--only` names one section or several, separated by commas.
    bool wanted(std::string_view section) const {
        if (options_.only.empty()) return true;
        std::string_view rest = options_.only;
        while (!rest.empty()) {
            const std::size_t comma = rest.find(',');
            if (rest.substr(0, comma) == section) return true;
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        }
        return false;
    }

    // MUC -> server with a guest joining and leaving the room after each cycle (2 stanzas in
    // 14): with a store, each join is a commit that its self-presence waits for. What does
    // not depend on it (the room's traffic) must not wait too.
    void latency_while_committing(double rate) {
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
             << "k stanzas/s (" << n << " stanzas per run, " << options_.rounds
             << " rounds), µs\n\n"
             << "A guest joins and leaves after each broadcast cycle (2 stanzas in 14); with the "
                "feature on each join is a commit to the store (SQLite, fsync) that the guest's "
                "self-presence waits for, and its leave waits behind it (same recipient). The "
                "room's traffic depends on no commit. Median (min–max) over rounds.\n\n"
             << "| relay | room traffic p50 | p99 | p99.9 | guests' presences p50 | p99 |\n"
             << "|---|---|---|---|---|---|\n";
        for (RelayKind kind : relays) {
            const Figures& f = figures[kind];
            out_ << "| " << relay_name(kind) << " | " << spread(f.p50, 0) << " | "
                 << spread(f.p99, 0) << " | " << spread(f.p999, 0) << " | " << spread(f.waited50, 0)
                 << " | " << spread(f.waited99, 0) << " |\n";
        }
        out_.flush();
    }

    // "p99 / p99.9 / worst" as medians over rounds, or – for a relay without the histogram.
    static std::string loop_busy_cell(const std::vector<double>& p99,
                                      const std::vector<double>& p999,
                                      const std::vector<double>& worst) {
        if (p99.empty()) return "–";
        auto bound = [](double us) { return std::isinf(us) ? std::string("> 1 s") : fixed(us, 0); };
        return "≤ " + bound(median(p99)) + " / " + bound(median(p999)) + " / " +
               bound(median(worst));
    }

    // A section's figures are not judged if any of its runs failed since `failures_before`.
    void unless_failed_since(int failures_before, std::initializer_list<Measured*> figures) {
        if (failures_ == failures_before) return;
        for (Measured* figure : figures) figure->some_run_failed = true;
    }

    std::uint64_t scaled(double n) const {
        return std::max<std::uint64_t>(10, static_cast<std::uint64_t>(n * options_.scale));
    }

    // A store holding `rooms`' registrations and `fanout` fan-out members, imported once.
    std::filesystem::path store_for(const RoomShape& rooms, int fanout, int bystanders = 0) {
        std::ostringstream key;
        key << "state-" << rooms.rooms << "r-" << rooms.registrations << "m-"
            << rooms.opted_in.size() << "o-" << fanout << "f-" << bystanders << "b";
        auto store = options_.work_dir / (key.str() + ".db");
        if (!std::filesystem::exists(store)) {
            auto json = options_.work_dir / (key.str() + ".json");
            write_state_json(json, rooms, fanout, bystanders);
            import_state(options_.proxy_binary, json, store);
            std::filesystem::remove(json);
        }
        return store;
    }

    RunSpec spec_for(RelayKind kind, const std::filesystem::path& store,
                     std::vector<Phase> phases) const {
        RunSpec spec;
        spec.relay.kind = kind;
        spec.relay.proxy_binary = options_.proxy_binary;
        spec.relay.work_dir = options_.work_dir;
        spec.relay.store = store;
        spec.phases = std::move(phases);
        if (!options_.proxy_prefix.empty() && kind != RelayKind::direct &&
            kind != RelayKind::socat) {
            spec.relay.prefix = options_.proxy_prefix;
            spec.stall_seconds = 600;
        }
        return spec;
    }

    RunResult go(RelayKind kind, const std::filesystem::path& store, std::vector<Phase> phases,
                 bool latency, const std::string& what) {
        RunSpec spec = spec_for(kind, store, std::move(phases));
        spec.latency = latency;
        return go(spec, what);
    }

    RunResult go(const RunSpec& spec, const std::string& what) {
        const RelayKind kind = spec.relay.kind;
        RunResult result;
        try {
            result = run_load(spec);
        } catch (const std::exception& e) {
            result.ok = false;
            result.error = e.what();
        }
        if (!result.ok) {
            ++failures_;
            out_ << "\n**FAILED** " << what << " through " << relay_name(kind) << ": "
                 << result.error << "\n";
            out_.flush();
        }
        return result;
    }

    void throughput() {
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
        unless_failed_since(failures_before,
                            {&figures_.to_server_vs_socat, &figures_.to_muc_vs_socat});
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
                 << fixed(median(f.up_mb), 0) << " | " << fixed(median(up_vs_direct[kind]), 2)
                 << " | " << fixed(median(up_vs_socat[kind]), 2) << " | " << spread_k(f.down)
                 << " | " << fixed(median(f.down_mb), 0) << " | "
                 << fixed(median(down_vs_direct[kind]), 2) << " | "
                 << fixed(median(down_vs_socat[kind]), 2) << " | "
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
    void throughput_with_guests() {
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

    void latency(double rate) {
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
        unless_failed_since(failures_before,
                            {&judged.to_server_p99_over_socat, &judged.to_muc_p99_over_socat,
                             &judged.to_server_p999, &judged.to_muc_p999,
                             &judged.socat_to_server_p999, &judged.socat_to_muc_p999});
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
            out_ << "| " << relay_name(kind) << " | " << spread(f.up50, 0) << " | "
                 << spread(f.up99, 0) << " | " << spread(f.up999, 0) << " | " << spread(f.down50, 0)
                 << " | " << spread(f.down99, 0) << " | " << spread(f.down999, 0) << " | "
                 << fixed(median(f.up99) - median(direct.up99), 0) << ", "
                 << fixed(median(f.down99) - median(direct.down99), 0) << " | "
                 << loop_busy_cell(f.busy99, f.busy999, f.busy_worst) << " | "
                 << loop_busy_cell(f.cpu99, f.cpu999, f.cpu_worst) << " |\n";
        }
        out_.flush();
    }

    // One round's figures for the latency targets: the proxy (feature on) against socat.
    static void judge_latency(const std::map<RelayKind, RunResult>& round, LatencyFigures& judged) {
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

    void fanout() {
        out_ << "\n### Fan-out: one room, one occupant, K opted-in absent members, "
             << options_.rounds << " rounds\n\n"
             << "Each message the MUC broadcasts (to its one occupant) draws K copies from the "
                "proxy (feature on); the fake server checks and counts every copy. CPU is the "
                "proxy's time on a CPU over the run (/proc schedstat), divided by the copies; it "
                "includes relaying the messages themselves. The cases take turns round by "
                "round. The last row adds 10,000 members who registered with the room without "
                "opting in: they must cost nothing.\n\n"
             << "| K | also registered, not opted in | messages/run | copies/run | copies/s | "
                "proxy CPU µs per copy | proxy CPU µs per message |\n"
             << "|---|---|---|---|---|---|---|\n";
        // The cases take turns round by round, as the relays do elsewhere: a case's rounds
        // spread over the section's minute rather than a few seconds in a row, so that one
        // noisy stretch of the machine does not make all of them (a K = 10 run lasts 0.2 s).
        struct Case {
            int k = 0;
            int bystanders = 0;
            std::filesystem::path store;
            std::unique_ptr<Script> join, messages;
            std::uint64_t m = 0;
            std::vector<double> rate, per_copy, per_message;
            std::uint64_t copies = 0;
            int failures = 0;
        };
        std::vector<Case> cases;
        for (auto [k, bystanders] :
             {std::pair{kPlacementFanout, 0}, {100, 0}, {1000, 0}, {10000, 0}, {10, 10000}}) {
            RoomShape none;
            none.rooms = 0;
            Case& c = cases.emplace_back();
            c.k = k;
            c.bystanders = bystanders;
            c.store = store_for(none, k, bystanders);
            c.join = fanout_join();
            c.messages = fanout_messages(FanoutShape{k});
            c.m = std::max<std::uint64_t>(20, scaled(400000.0 / k));
        }
        const auto spec_of = [this](const Case& c) {
            return spec_for(RelayKind::proxy_on, c.store,
                            {Phase{{c.join.get(), 1}, {}}, Phase{{c.messages.get(), c.m}, {}}});
        };
        const std::vector<CpuPlacement> placements = placements_to_compare();
        FanoutPlacement placement;
        placement.rounds = options_.rounds;
        for (int round = 0; round < options_.rounds; ++round) {
            for (Case& c : cases) {
                const bool watched = c.k == kWatchedFanout && c.bystanders == 0;
                const std::string what = "fan-out K=" + std::to_string(c.k);
                RunSpec spec = spec_of(c);
                if (watched) spec.rss_sample_interval_ms = kRssSampleIntervalMs;
                const int failures_before = failures_;
                RunResult r = go(spec, what);
                if (watched) against_raised_watermarks(spec, r, c.m, what);
                c.failures += failures_ - failures_before;
                if (!r.ok) continue;
                c.copies = r.to_server.copies;
                c.rate.push_back(r.to_server.copies_per_second());
                c.per_copy.push_back(r.relay_cpu_us_per(c.copies));
                c.per_message.push_back(r.relay_cpu_us_per(c.m));
            }
            for (const CpuPlacement& where : placements) {
                RunSpec spec = spec_of(cases.front());  // K = 10, no bystanders
                spec.placement = where;
                placement.add(where.relay_cpu != where.generator_cpu,
                              go(spec, "fan-out K=10 pinned"));
            }
        }
        for (const Case& c : cases) {
            out_ << "| " << c.k << " | " << c.bystanders << " | " << c.m << " | " << c.copies
                 << " | " << spread_k(c.rate) << " | " << spread(c.per_copy, 2) << " | "
                 << spread(c.per_message, 0) << " |\n";
            if (c.bystanders > 0) continue;
            Measured& cpu = figures_.fanout_cpu_per_copy_us[c.k];
            cpu.rounds = c.per_copy;
            cpu.some_run_failed = c.failures > 0;
            if (c.k != kWatchedFanout) continue;
            figures_.watched_fanout = c.k;
            figures_.rss_growth_bytes.rounds = fanout_memory_.bounded.growth;
            figures_.rss_allowed_bytes.rounds = fanout_memory_.allowed_growth;
            figures_.default_vs_raised_watermarks.rounds = fanout_memory_.bounded_vs_raised;
            for (Measured* figure : {&figures_.rss_growth_bytes, &figures_.rss_allowed_bytes,
                                     &figures_.default_vs_raised_watermarks}) {
                figure->some_run_failed = c.failures > 0;
            }
        }
        out_.flush();
        fanout_memory_.members = kWatchedFanout;
        fanout_memory_.rounds = options_.rounds;
        write_fanout_memory(fanout_memory_, out_);
        write_fanout_placement(placement, out_);
    }

    // `bounded`, a run with the default watermarks, and the same run with them raised.
    void against_raised_watermarks(RunSpec spec, const RunResult& bounded, std::uint64_t messages,
                                   const std::string& what) {
        spec.relay.write_queue_high_bytes = kRaisedHighBytes;
        spec.relay.write_queue_low_bytes = kRaisedLowBytes;
        const RunResult raised = go(spec, what + " with raised watermarks");
        fanout_memory_.bounded.add(bounded);
        fanout_memory_.raised.add(raised);
        if (bounded.ok) {
            fanout_memory_.allowed_growth.push_back(
                static_cast<double>(config::Limits{}.write_queue_high_bytes) +
                static_cast<double>(bounded.to_server.copy_bytes) / static_cast<double>(messages));
        }
        if (bounded.ok && raised.ok && raised.to_server.copies_per_second() > 0) {
            fanout_memory_.bounded_vs_raised.push_back(bounded.to_server.copies_per_second() /
                                                       raised.to_server.copies_per_second());
        }
    }

    void memory() {
        out_ << "\n### Memory (proxy RSS after the state is loaded and the joins went through)"
                "\n\n| proxy | state | RSS MiB | bytes per item over the empty proxy |\n"
                "|---|---|---|---|\n";
        const Phase idle{};
        const int failures_before = failures_;
        RunResult off = go(RelayKind::proxy_off, {}, {idle}, false, "memory");
        RunResult empty = go(RelayKind::proxy_on, {}, {idle}, false, "memory");
        // With `items`, the bytes per item go into `judged` too, unless a run they need failed.
        auto row = [&](const char* relay, const std::string& state, const RunResult& r,
                       double items, Measured* judged) {
            const bool per_item = r.ok && empty.ok && items > 0;
            const double bytes = per_item ? (static_cast<double>(r.rss_before_measured) -
                                             static_cast<double>(empty.rss_before_measured)) /
                                                items
                                          : 0;
            if (judged != nullptr && per_item) judged->rounds.push_back(bytes);
            if (judged != nullptr && !per_item) judged->some_run_failed = true;
            if (!r.ok) return;
            out_ << "| " << relay << " | " << state << " | "
                 << fixed(r.rss_before_measured / 1048576.0, 1) << " | "
                 << (per_item ? fixed(bytes, 0) : std::string("–")) << " |\n";
        };
        row("feature off", "none", off, 0, nullptr);
        row("feature on", "empty store", empty, 0, nullptr);
        for (int rooms_count : {1000, 10000}) {
            RoomShape rooms;
            rooms.rooms = rooms_count;
            rooms.occupants = 0;
            const auto store = store_for(rooms, 0);
            RunResult r = go(RelayKind::proxy_on, store, {idle}, false, "memory");
            row("feature on",
                std::to_string(rooms.total_registrations()) + " registrations in " +
                    std::to_string(rooms_count) + " rooms",
                r, static_cast<double>(rooms.total_registrations()),
                &figures_.bytes_per_registration[static_cast<long>(rooms.total_registrations())]);
        }
        RoomShape crowd;
        crowd.rooms = 1000;
        crowd.occupants = 100;
        crowd.registrations = 0;
        crowd.opted_in = {};
        auto join = joins(crowd);
        RunResult r =
            go(RelayKind::proxy_on, {}, {Phase{{join.get(), crowd.occupant_sessions()}, {}}, idle},
               false, "memory");
        row("feature on",
            std::to_string(crowd.occupant_sessions()) + " occupant sessions in 1000 rooms", r,
            static_cast<double>(crowd.occupant_sessions()), &figures_.bytes_per_session);
        for (auto& [registrations, judged] : figures_.bytes_per_registration)
            unless_failed_since(failures_before, {&judged});
        unless_failed_since(failures_before, {&figures_.bytes_per_session});
        out_.flush();
    }

    void growth() {
        out_ << "\n### Growth: pass-through cost against the size of the state, " << options_.rounds
             << " rounds\n\n"
             << "MUC → server broadcasts through the proxy with the feature on; 10 occupants "
                "and 100 registrations per room, nobody opted in (no copies), so only the "
                "state's size changes.\n\n"
             << "| rooms | registrations | occupant sessions | stanzas/s | proxy CPU µs per "
                "stanza |\n|---|---|---|---|---|\n";
        for (int rooms_count : {100, 1000, 10000}) {
            RoomShape rooms;
            rooms.rooms = rooms_count;
            rooms.opted_in = {};
            const auto store = store_for(rooms, 0);
            auto join = joins(rooms);
            auto broadcasts = muc_broadcasts(rooms);
            const std::uint64_t n = scaled(200000);
            std::vector<double> rate, cpu;
            for (int round = 0; round < options_.rounds; ++round) {
                RunResult r = go(RelayKind::proxy_on, store,
                                 {Phase{{join.get(), rooms.occupant_sessions()}, {}},
                                  Phase{{broadcasts.get(), n}, {}}},
                                 false, "growth");
                if (!r.ok) continue;
                rate.push_back(r.to_server.stanzas_per_second());
                cpu.push_back(r.relay_cpu_us_per(n));
            }
            out_ << "| " << rooms_count << " | " << rooms.total_registrations() << " | "
                 << rooms.occupant_sessions() << " | " << spread_k(rate) << " | " << spread(cpu, 2)
                 << " |\n";
        }
        out_.flush();
    }

    SuiteOptions options_;
    std::ostream& out_;
    int failures_ = 0;
    SuiteFigures figures_;
    FanoutMemory fanout_memory_;
};

}  // namespace

bool run_suite(const SuiteOptions& options, std::ostream& out) {
    return Suite(options, out).run();
}

}  // namespace bench
