// A cumulative histogram as Prometheus defines it: fixed upper bounds, a count per bound of
// the observations at or below it, their sum and their count. Written by the loop thread only.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "metrics/exposition.hpp"

namespace metrics {

class Histogram {
  public:
    explicit Histogram(std::vector<double> upper_bounds);

    void observe(double value);

    std::uint64_t count() const { return count_; }
    double sum() const { return sum_; }

    // The _bucket samples (le="..." up to +Inf), _sum and _count of the current family.
    void write(Exposition& out) const;

  private:
    std::vector<double> bounds_;
    std::vector<std::uint64_t> at_or_below_;  // per bound, not yet cumulative
    std::uint64_t count_ = 0;
    double sum_ = 0;
};

}  // namespace metrics
