// The loop thread asks the kernel for short scheduling slices. The proxy does a few
// microseconds of work each time a read is ready, then waits again: with the kernel's default
// slice (a few milliseconds) a woken proxy waits behind whatever else has the CPU, and is
// preempted by the peer its own write just woke. Linux's EEVDF scheduler (6.12 and later)
// lets a thread request a shorter slice: its deadlines come sooner, so it runs as soon as its
// socket is ready, without more CPU than its fair share. Older kernels accept the request and
// ignore it; the outcome says which.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace net {

struct SliceOutcome {
    enum class Kind {
        left_alone,      // slice_us 0 at start: nothing was asked
        granted,         // the kernel now gives the calling thread that slice
        restored,        // the kernel's own slice again (slice_us 0 on reload)
        not_honoured,    // the kernel took the request and kept its own slice (Linux < 6.12)
        not_applicable,  // the thread runs under a real-time or idle policy, which has no slice
        refused,         // the kernel (or a seccomp filter) refused the request
    };
    Kind kind = Kind::left_alone;
    std::uint64_t slice_before_ns = 0;  // as the kernel reported it; 0 when it does not
    std::string detail;                 // a log line's worth: what happened and why
};

// Applies to the calling thread, and to the threads it starts afterwards (they inherit it).
// Keeps the thread's policy and nice value. `slice_us` is 0 (nothing is asked) or 100-100000,
// the range the kernel accepts.
SliceOutcome request_scheduler_slice(std::uint32_t slice_us);

// The kernel's own slice again for the calling thread (a reload that sets slice_us to 0).
SliceOutcome restore_default_scheduler_slice();

// The slice the kernel reports for a thread (0: the calling one), in ns; 0 when it reports
// none (before Linux 6.12, or no such thread).
std::uint64_t scheduler_slice_ns(pid_t thread = 0);

}  // namespace net
