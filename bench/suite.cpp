#include "suite.hpp"

#include <algorithm>
#include <sstream>

#include "config/config.hpp"
#include "load/state_file.hpp"
#include "report_format.hpp"
#include "suite_sections.hpp"
#include "targets.hpp"

namespace bench {

bool Suite::run() {
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

// `--only` names one section or several, separated by commas.
bool Suite::wanted(std::string_view section) const {
    if (options_.only.empty()) return true;
    std::string_view rest = options_.only;
    while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        if (rest.substr(0, comma) == section) return true;
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    return false;
}

// A section's figures are not judged if any of its runs failed since `failures_before`.
void Suite::unless_failed_since(int failures_before, std::initializer_list<Measured*> figures) {
    if (failures_ == failures_before) return;
    for (Measured* figure : figures) figure->some_run_failed = true;
}

std::uint64_t Suite::scaled(double n) const {
    return std::max<std::uint64_t>(10, static_cast<std::uint64_t>(n * options_.scale));
}

// A store holding `rooms`' registrations and `fanout` fan-out members, imported once.
std::filesystem::path Suite::store_for(const RoomShape& rooms, int fanout, int bystanders) {
    std::ostringstream key;
    key << "state-" << rooms.rooms << "r-" << rooms.registrations << "m-" << rooms.opted_in.size()
        << "o-" << fanout << "f-" << bystanders << "b";
    auto store = options_.work_dir / (key.str() + ".db");
    if (!std::filesystem::exists(store)) {
        auto json = options_.work_dir / (key.str() + ".json");
        write_state_json(json, rooms, fanout, bystanders);
        import_state(options_.proxy_binary, json, store);
        std::filesystem::remove(json);
    }
    return store;
}

RunSpec Suite::spec_for(RelayKind kind, const std::filesystem::path& store,
                        std::vector<Phase> phases) const {
    RunSpec spec;
    spec.relay.kind = kind;
    spec.relay.proxy_binary = options_.proxy_binary;
    spec.relay.work_dir = options_.work_dir;
    spec.relay.store = store;
    spec.phases = std::move(phases);
    if (!options_.proxy_prefix.empty() && kind != RelayKind::direct && kind != RelayKind::socat) {
        spec.relay.prefix = options_.proxy_prefix;
        spec.stall_seconds = 600;
    }
    return spec;
}

RunResult Suite::go(RelayKind kind, const std::filesystem::path& store, std::vector<Phase> phases,
                    bool latency, const std::string& what) {
    RunSpec spec = spec_for(kind, store, std::move(phases));
    spec.latency = latency;
    return go(spec, what);
}

RunResult Suite::go(const RunSpec& spec, const std::string& what) {
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
        out_ << "\n**FAILED** " << what << " through " << relay_name(kind) << ": " << result.error
             << "\n";
        out_.flush();
    }
    return result;
}

void Suite::memory() {
    out_ << "\n### Memory (proxy RSS after the state is loaded and the joins went through)"
            "\n\n| proxy | state | RSS MiB | bytes per item over the empty proxy |\n"
            "|---|---|---|---|\n";
    const Phase idle{};
    const int failures_before = failures_;
    RunResult off = go(RelayKind::proxy_off, {}, {idle}, false, "memory");
    RunResult empty = go(RelayKind::proxy_on, {}, {idle}, false, "memory");
    // With `items`, the bytes per item go into `judged` too, unless a run they need failed.
    auto row = [&](const char* relay, const std::string& state, const RunResult& r, double items,
                   Measured* judged) {
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
    RunResult r = go(RelayKind::proxy_on, {},
                     {Phase{{join.get(), crowd.occupant_sessions()}, {}}, idle}, false, "memory");
    row("feature on",
        std::to_string(crowd.occupant_sessions()) + " occupant sessions in 1000 rooms", r,
        static_cast<double>(crowd.occupant_sessions()), &figures_.bytes_per_session);
    for (auto& [registrations, judged] : figures_.bytes_per_registration)
        unless_failed_since(failures_before, {&judged});
    unless_failed_since(failures_before, {&figures_.bytes_per_session});
    out_.flush();
}

void Suite::growth() {
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

bool run_suite(const SuiteOptions& options, std::ostream& out) {
    return Suite(options, out).run();
}

}  // namespace bench
