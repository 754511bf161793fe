#include "placement.hpp"

#include <stdexcept>
#include <string>

namespace bench {

namespace {

void pin_to(int cpu) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0)
        throw std::runtime_error("cannot run on CPU " + std::to_string(cpu));
}

}  // namespace

PinnedCpus::PinnedCpus(const CpuPlacement& placement) : placement_(placement) {
    if (!placement_.pinned()) return;
    saved_ = sched_getaffinity(0, sizeof before_, &before_) == 0;
    if (placement_.relay_cpu >= 0) pin_to(placement_.relay_cpu);
}

void PinnedCpus::relay_started() {
    if (placement_.generator_cpu >= 0) pin_to(placement_.generator_cpu);
}

PinnedCpus::~PinnedCpus() {
    if (saved_) sched_setaffinity(0, sizeof before_, &before_);
}

}  // namespace bench
