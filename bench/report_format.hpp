// How the suite's figures are written into its Markdown tables.
#pragma once

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace bench {

inline double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

inline std::string fixed(double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

// "median (min–max)"
inline std::string spread(const std::vector<double>& v, int decimals) {
    if (v.empty()) return "failed";
    auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return fixed(median(v), decimals) + " (" + fixed(*lo, decimals) + "–" + fixed(*hi, decimals) +
           ")";
}

inline std::string thousands(double value) {
    return fixed(value / 1000.0, 1) + "k";
}

inline std::string spread_k(const std::vector<double>& v) {
    if (v.empty()) return "failed";
    auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return thousands(median(v)) + " (" + thousands(*lo) + "–" + thousands(*hi) + ")";
}

inline std::string mebibytes(double bytes) {
    return fixed(bytes / 1048576.0, 1);
}

}  // namespace bench
