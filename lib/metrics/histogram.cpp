#include "metrics/histogram.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <string>

namespace metrics {

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), at_or_below_(bounds_.size(), 0) {
    std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::observe(double value) {
    auto bound = std::lower_bound(bounds_.begin(), bounds_.end(), value);
    if (bound != bounds_.end()) ++at_or_below_[static_cast<std::size_t>(bound - bounds_.begin())];
    ++count_;
    sum_ += value;
}

void Histogram::write(Exposition& out) const {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
        cumulative += at_or_below_[i];
        char buffer[32];
        auto end = std::to_chars(buffer, buffer + sizeof buffer, bounds_[i]).ptr;
        out.sample({{"le", std::string_view(buffer, static_cast<std::size_t>(end - buffer))}},
                   cumulative, "_bucket");
    }
    out.sample({{"le", "+Inf"}}, count_, "_bucket");
    out.sample({}, sum_, "_sum");
    out.sample({}, count_, "_count");
}

}  // namespace metrics
