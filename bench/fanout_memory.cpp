#include "fanout_memory.hpp"

#include <algorithm>
#include <string>

#include "report_format.hpp"

namespace bench {
namespace {

constexpr int kMoments = 10;  // intervals, so kMoments + 1 columns

// The RSS at kMoments + 1 evenly spaced times from the first sample to the last: the last
// sample taken at or before each.
std::vector<std::uint64_t> rss_at_moments(const std::vector<RssSample>& samples) {
    std::vector<std::uint64_t> at;
    if (samples.empty()) return at;
    const double duration = samples.back().seconds - samples.front().seconds;
    std::size_t i = 0;
    for (int moment = 0; moment <= kMoments; ++moment) {
        const double t = samples.front().seconds + duration * moment / kMoments;
        while (i + 1 < samples.size() && samples[i + 1].seconds <= t) ++i;
        at.push_back(samples[i].bytes);
    }
    return at;
}

std::string spread_mib(const std::vector<double>& bytes) {
    std::vector<double> mib;
    for (double b : bytes) mib.push_back(b / 1048576.0);
    return spread(mib, 1);
}

void timeline_row(const char* variant, const WatermarkRuns& runs, std::ostream& out) {
    out << "| " << variant << " | ";
    if (runs.samples.empty()) {
        out << "failed |";
        for (int moment = 0; moment <= kMoments + 2; ++moment) out << " |";
        out << "\n";
        return;
    }
    out << fixed(runs.samples.back().seconds * 1000, 0) << " ms, " << runs.samples.size()
        << " samples |";
    for (std::uint64_t bytes : rss_at_moments(runs.samples))
        out << " " << mebibytes(static_cast<double>(bytes)) << " |";
    auto [lo, hi] = std::minmax_element(
        runs.samples.begin(), runs.samples.end(),
        [](const RssSample& a, const RssSample& b) { return a.bytes < b.bytes; });
    out << " " << mebibytes(static_cast<double>(lo->bytes)) << " | "
        << mebibytes(static_cast<double>(hi->bytes)) << " |\n";
}

}  // namespace

void WatermarkRuns::add(const RunResult& r) {
    if (!r.ok || r.rss_samples.empty()) return;
    std::uint64_t lo = r.rss_samples.front().bytes, hi = lo;
    for (const RssSample& sample : r.rss_samples) {
        lo = std::min(lo, sample.bytes);
        hi = std::max(hi, sample.bytes);
    }
    copies_per_second.push_back(r.to_server.copies_per_second());
    before.push_back(static_cast<double>(r.rss_before_measured));
    peak.push_back(static_cast<double>(hi));
    growth.push_back(static_cast<double>(hi) - static_cast<double>(r.rss_before_measured));
    lowest.push_back(static_cast<double>(lo));
    samples = r.rss_samples;
}

void write_fanout_memory(const FanoutMemory& memory, std::ostream& out) {
    out << "\n### Memory while copies are produced: fan-out K = " << memory.members << ", "
        << memory.rounds << " rounds\n\n"
        << "The K = " << memory.members
        << " runs of the Fan-out table with the proxy's RSS read from /proc every "
        << kRssSampleIntervalMs
        << " ms of the measured phase, and in the same rounds the same runs with the "
           "write-queue watermarks raised beyond what they can fill (high "
        << fixed(kRaisedHighBytes / 1073741824.0, 0) << " GiB, low "
        << fixed(kRaisedLowBytes / 1048576.0, 0)
        << " MiB). With the defaults the proxy stops reading from the MUC once a queue holds "
           "more than the high mark, checked after each stanza: one message's copies may go "
           "past it. MiB, median (min–max) over rounds.\n\n"
        << "| watermarks | copies/s | RSS before | peak | peak − before | lowest during |\n"
        << "|---|---|---|---|---|---|\n";
    auto row = [&](const char* variant, const WatermarkRuns& runs) {
        out << "| " << variant << " | " << spread_k(runs.copies_per_second) << " | "
            << spread_mib(runs.before) << " | " << spread_mib(runs.peak) << " | "
            << spread_mib(runs.growth) << " | " << spread_mib(runs.lowest) << " |\n";
    };
    row("default", memory.bounded);
    row("raised", memory.raised);
    out << "\nCopies/s with the default watermarks ÷ with the raised ones (per round): "
        << spread(memory.bounded_vs_raised, 2)
        << "; the default high watermark plus one message's copies: "
        << spread_mib(memory.allowed_growth) << " MiB.\n\n"
        << "RSS over the measured phase of the last round, MiB, at evenly spaced moments (the "
           "last sample at or before each), then the lowest and highest sample:\n\n"
        << "| watermarks | phase |";
    for (int moment = 0; moment <= kMoments; ++moment)
        out << " " << moment * 100 / kMoments << " % |";
    out << " min | max |\n|---|---|";
    for (int column = 0; column <= kMoments + 2; ++column) out << "---|";
    out << "\n";
    timeline_row("default", memory.bounded, out);
    timeline_row("raised", memory.raised, out);
    out.flush();
}

}  // namespace bench
