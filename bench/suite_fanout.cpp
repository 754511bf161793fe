#include <algorithm>
#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "fanout_placement.hpp"
#include "report_format.hpp"
#include "suite_sections.hpp"

namespace bench {
namespace {

// The fan-out whose runs also watch the proxy's memory (fanout_memory.hpp).
constexpr int kWatchedFanout = 10000;

}  // namespace

void Suite::fanout() {
    out_ << "\n### Fan-out: one room, one occupant, K opted-in absent members, " << options_.rounds
         << " rounds\n\n"
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
            placement.add(where.relay_cpu != where.generator_cpu, go(spec, "fan-out K=10 pinned"));
        }
    }
    for (const Case& c : cases) {
        out_ << "| " << c.k << " | " << c.bystanders << " | " << c.m << " | " << c.copies << " | "
             << spread_k(c.rate) << " | " << spread(c.per_copy, 2) << " | "
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
void Suite::against_raised_watermarks(RunSpec spec, const RunResult& bounded,
                                      std::uint64_t messages, const std::string& what) {
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

}  // namespace bench
