#pragma once
// A point in time after which a wait gives up. Every wait in the rig takes one, so no step
// of a test can hang: the suite's promise is "fails with a reason", never "stalls".
#include <chrono>

namespace rig {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

class Deadline {
  public:
    static Deadline in(Millis span) { return Deadline(Clock::now() + span); }

    bool passed() const { return Clock::now() >= at_; }
    Millis left() const {
        auto rest = std::chrono::duration_cast<Millis>(at_ - Clock::now());
        return rest.count() > 0 ? rest : Millis(0);
    }

  private:
    explicit Deadline(Clock::time_point at) : at_(at) {}
    Clock::time_point at_;
};

// Seconds since `epoch`, for transcripts that people read.
inline double seconds_since(Clock::time_point epoch) {
    return std::chrono::duration<double>(Clock::now() - epoch).count();
}

}  // namespace rig
