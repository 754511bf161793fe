// The fan-out at K = 10 again, with the load generator and the proxy pinned: both on one CPU
// (taking turns) and each on its own (side by side). The Fan-out table leaves placement to the
// scheduler, which puts them either way from one run to the next; this shows how far apart
// the two ways are, so that a K = 10 figure can be read for what it is.
#pragma once

#include <ostream>
#include <vector>

#include "load/load_run.hpp"

namespace bench {

inline constexpr int kPlacementFanout = 10;

struct FanoutPlacement {
    int rounds = 0;
    // Per placement, a value per run that went through.
    std::vector<double> one_cpu_per_copy, two_cpus_per_copy;
    std::vector<double> one_cpu_rate, two_cpus_rate;
    void add(bool two_cpus, const RunResult& r);
};

// Both placements, or none where the machine has fewer than two CPUs to pin to.
std::vector<CpuPlacement> placements_to_compare();
void write_fanout_placement(const FanoutPlacement& placement, std::ostream& out);

}  // namespace bench
