// The suite's sections share one runner: the options, the report, the failures so far and the
// figures the Targets section judges. Its member functions are defined by section, one file
// each (suite.cpp, suite_throughput.cpp, suite_latency.cpp, suite_fanout.cpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "fanout_memory.hpp"
#include "load/load_run.hpp"
#include "load/room_traffic.hpp"
#include "suite.hpp"
#include "suite_figures.hpp"

namespace bench {

inline constexpr RelayKind kRelays[] = {RelayKind::direct, RelayKind::socat, RelayKind::proxy_off,
                                        RelayKind::proxy_on};

class Suite {
  public:
    Suite(const SuiteOptions& options, std::ostream& out) : options_(options), out_(out) {}

    bool run();

  private:
    // Sections, in the order run() takes them.
    void throughput();
    void throughput_with_guests();
    void latency(double rate);
    void latency_while_committing(double rate);
    void fanout();
    void against_raised_watermarks(RunSpec spec, const RunResult& bounded, std::uint64_t messages,
                                   const std::string& what);
    void memory();
    void growth();

    // What they share.
    bool wanted(std::string_view section) const;
    void unless_failed_since(int failures_before, std::initializer_list<Measured*> figures);
    std::uint64_t scaled(double n) const;
    std::filesystem::path store_for(const RoomShape& rooms, int fanout, int bystanders = 0);
    RunSpec spec_for(RelayKind kind, const std::filesystem::path& store,
                     std::vector<Phase> phases) const;
    RunResult go(RelayKind kind, const std::filesystem::path& store, std::vector<Phase> phases,
                 bool latency, const std::string& what);
    RunResult go(const RunSpec& spec, const std::string& what);

    SuiteOptions options_;
    std::ostream& out_;
    int failures_ = 0;
    SuiteFigures figures_;
    FanoutMemory fanout_memory_;
};

}  // namespace bench
