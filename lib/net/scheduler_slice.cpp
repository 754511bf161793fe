#include "net/scheduler_slice.hpp"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace net {

namespace {

// glibc 2.36 wraps neither call; the layout is the kernel's (include/uapi/linux/sched/types.h).
struct KernelSchedAttr {
    std::uint32_t size;
    std::uint32_t sched_policy;
    std::uint64_t sched_flags;
    std::int32_t sched_nice;
    std::uint32_t sched_priority;
    std::uint64_t sched_runtime;  // for the fair policies, the slice (Linux 6.12; 0 before)
    std::uint64_t sched_deadline;
    std::uint64_t sched_period;
    std::uint32_t sched_util_min;
    std::uint32_t sched_util_max;
};

// SCHED_FLAG_RESET_ON_FORK (linux/sched.h, whose other names clash with glibc's <sched.h>).
constexpr std::uint64_t kResetOnFork = 0x01;

bool read_attr(KernelSchedAttr& attr, pid_t thread = 0) {
    attr = KernelSchedAttr{};
    return syscall(SYS_sched_getattr, thread, &attr, sizeof attr, 0) == 0;
}

std::string microseconds(std::uint64_t ns) {
    return std::to_string((ns + 500) / 1000) + " µs";
}

// Sets the calling thread's slice to `wanted_ns` (0: the kernel's default), keeping its policy,
// nice value and reset-on-fork flag (as the service manager set them, say). Fills in all but
// `detail` on success.
bool set_slice(std::uint64_t wanted_ns, SliceOutcome& outcome) {
    KernelSchedAttr attr;
    if (!read_attr(attr)) {
        outcome.kind = SliceOutcome::Kind::refused;
        outcome.detail = std::string("cannot read the loop thread's scheduling attributes: ") +
                         std::strerror(errno) + "; the kernel's own slice is kept";
        return false;
    }
    outcome.slice_before_ns = attr.sched_runtime;
    if (attr.sched_policy != SCHED_OTHER && attr.sched_policy != SCHED_BATCH) {
        outcome.kind = SliceOutcome::Kind::not_applicable;
        outcome.detail = "the proxy runs under scheduling policy " +
                         std::to_string(attr.sched_policy) +
                         " (not SCHED_OTHER or SCHED_BATCH), which has no slice: "
                         "scheduling.slice_us is not applied";
        return false;
    }
    attr.size = sizeof attr;
    attr.sched_flags &= kResetOnFork;
    attr.sched_runtime = wanted_ns;
    attr.sched_deadline = 0;
    attr.sched_period = 0;
    if (syscall(SYS_sched_setattr, 0, &attr, 0) != 0) {
        const int error = errno;
        outcome.kind = SliceOutcome::Kind::refused;
        outcome.detail = std::string(
                             "the kernel refused to change the loop thread's scheduling "
                             "slice: ") +
                         std::strerror(error) +
                         (error == EPERM ? " (a seccomp filter must allow sched_setattr)" : "") +
                         "; the kernel's own slice is kept";
        return false;
    }
    return true;
}

}  // namespace

std::uint64_t scheduler_slice_ns(pid_t thread) {
    KernelSchedAttr attr;
    return read_attr(attr, thread) ? attr.sched_runtime : 0;
}

SliceOutcome request_scheduler_slice(std::uint32_t slice_us) {
    SliceOutcome outcome;
    if (slice_us == 0) {
        outcome.detail = "scheduling.slice_us is 0: the kernel's own slice is kept";
        return outcome;
    }
    const std::uint64_t wanted_ns = std::uint64_t{slice_us} * 1000;
    if (!set_slice(wanted_ns, outcome)) return outcome;
    if (scheduler_slice_ns() == wanted_ns) {
        outcome.kind = SliceOutcome::Kind::granted;
        outcome.detail = "scheduling slice " + microseconds(wanted_ns) +
                         (outcome.slice_before_ns != 0
                              ? " (it was " + microseconds(outcome.slice_before_ns) + ")"
                              : std::string()) +
                         ": the loop runs as soon as a read is ready";
    } else {
        outcome.kind = SliceOutcome::Kind::not_honoured;
        outcome.detail =
            "this kernel does not take slice requests (Linux 6.12 and later do): "
            "scheduling.slice_us " +
            std::to_string(slice_us) + " has no effect";
    }
    return outcome;
}

SliceOutcome restore_default_scheduler_slice() {
    SliceOutcome outcome;
    if (!set_slice(0, outcome)) return outcome;
    outcome.kind = SliceOutcome::Kind::restored;
    const std::uint64_t now_ns = scheduler_slice_ns();
    outcome.detail = "scheduling.slice_us is 0: the kernel's own slice again" +
                     (now_ns != 0 ? " (" + microseconds(now_ns) + ")" : std::string());
    return outcome;
}

}  // namespace net
