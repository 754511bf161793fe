// The Prometheus text exposition format, version 0.0.4: one `# HELP` and `# TYPE` line per
// family, then its samples, each `name{label="value",...} number`. Builds text only: where
// the numbers come from and how they are served is the caller's business.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace metrics {

struct Label {
    std::string_view name;
    std::string_view value;
};

class Exposition {
  public:
    static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

    // Starts a family; every sample until the next family() belongs to it (the format wants a
    // family's samples together). `type` is counter, gauge or histogram.
    void family(std::string_view name, std::string_view type, std::string_view help);
    // `suffix` is empty, or _bucket, _sum or _count for a histogram's parts.
    void sample(std::initializer_list<Label> labels, std::uint64_t value,
                std::string_view suffix = {});
    void sample(std::initializer_list<Label> labels, double value, std::string_view suffix = {});

    const std::string& text() const { return text_; }

  private:
    void start_sample(std::initializer_list<Label> labels, std::string_view suffix);

    std::string family_;
    std::string text_;
};

}  // namespace metrics
