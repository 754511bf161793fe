// `make demo` is a promise to a newcomer: it must keep telling its two acts. Runs build/demo
// (from the project root, as make does) and checks its exit status and the lines of each act.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "rig/needs_the_proxy.hpp"
#include "rig/proxy.hpp"

namespace {

struct Ran {
    int status = -1;
    std::string output;
};

Ran run_demo() {
    Ran ran;
    const std::string command = "build/demo --proxy " + rig::default_proxy_binary() + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[4096];
    std::size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) ran.output.append(buffer, n);
    ran.status = pclose(pipe);
    return ran;
}

}  // namespace

TEST_CASE("demo: act 1 copies on a capable server, act 2 notices read at login on a stock one" *
          rig::needs_the_proxy()) {
    REQUIRE(std::filesystem::exists("build/demo"));
    const Ran ran = run_demo();
    INFO(ran.output);
    CHECK(ran.status == 0);
    CHECK(ran.output.find("Act 1 OK") != std::string::npos);
    const std::string room = "lunch@conference.localhost";
    CHECK(ran.output.find("bob's phone <- lunch: room notice \"alice in " + room +
                          ": Pizza or sushi?\"") != std::string::npos);
    CHECK(ran.output.find("bob's phone <- lunch: room notice \"2 new messages in " + room +
                          ", last from alice: Table booked for noon.\"") != std::string::npos);
    CHECK(ran.output.find("notices sent 2; notices suppressed 1") != std::string::npos);
    CHECK(ran.output.find("demo OK") != std::string::npos);
}
