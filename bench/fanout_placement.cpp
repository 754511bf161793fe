#include "fanout_placement.hpp"

#include <sched.h>

#include "report_format.hpp"

namespace bench {

void FanoutPlacement::add(bool two_cpus, const RunResult& r) {
    if (!r.ok || r.to_server.copies == 0) return;
    (two_cpus ? two_cpus_per_copy : one_cpu_per_copy)
        .push_back(r.relay_cpu_us_per(r.to_server.copies));
    (two_cpus ? two_cpus_rate : one_cpu_rate).push_back(r.to_server.copies_per_second());
}

std::vector<CpuPlacement> placements_to_compare() {
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return {};
    std::vector<int> cpus;
    for (int cpu = 0; cpu < CPU_SETSIZE && cpus.size() < 2; ++cpu) {
        if (CPU_ISSET(cpu, &allowed)) cpus.push_back(cpu);
    }
    if (cpus.size() < 2) return {};
    return {CpuPlacement{cpus[0], cpus[0]}, CpuPlacement{cpus[0], cpus[1]}};
}

void write_fanout_placement(const FanoutPlacement& placement, std::ostream& out) {
    out << "\n### Fan-out K = " << kPlacementFanout << " by placement, " << placement.rounds
        << " rounds\n\n"
        << "The K = " << kPlacementFanout
        << " case of the Fan-out table with the load generator and the proxy pinned to one "
           "CPU (they take turns) or to two (side by side), in the same rounds. Not a target: it "
           "shows how much of the figure above is where the scheduler put them.\n\n";
    if (placement.one_cpu_per_copy.empty() && placement.two_cpus_per_copy.empty()) {
        out << "Not run: fewer than two CPUs to pin to.\n";
        return;
    }
    out << "| placement | copies/s | proxy CPU µs per copy |\n|---|---|---|\n"
        << "| one CPU for both | " << spread_k(placement.one_cpu_rate) << " | "
        << spread(placement.one_cpu_per_copy, 2) << " |\n"
        << "| a CPU each | " << spread_k(placement.two_cpus_rate) << " | "
        << spread(placement.two_cpus_per_copy, 2) << " |\n";
}

}  // namespace bench
