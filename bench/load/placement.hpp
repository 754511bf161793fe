// Which CPUs the load generator and the relay run on, for one run. On this 2-CPU VM the
// proxy's CPU per fan-out copy depends on it more than on most code changes: with both on one
// CPU (taking turns) a K = 10 copy cost 0.32 µs, on two CPUs (side by side, as a MUC, a
// proxy and a server on one host run) 0.45 to 0.60, and left to the scheduler either.
#pragma once

#include <sched.h>

namespace bench {

struct CpuPlacement {
    int generator_cpu = -1;  // -1: left to the scheduler
    int relay_cpu = -1;
    bool pinned() const { return generator_cpu >= 0 || relay_cpu >= 0; }
};

// Pins the calling thread to the relay's CPU while the relay is started (a child inherits
// its parent's CPUs, threads included), then to the generator's; restores the thread's CPUs
// when it goes. Does nothing for an unpinned placement.
class PinnedCpus {
  public:
    explicit PinnedCpus(const CpuPlacement& placement);
    ~PinnedCpus();
    PinnedCpus(const PinnedCpus&) = delete;
    PinnedCpus& operator=(const PinnedCpus&) = delete;

    void relay_started();

  private:
    CpuPlacement placement_;
    cpu_set_t before_{};
    bool saved_ = false;
};

}  // namespace bench
