// The HTTP endpoint alone, on a loop of its own: idle connections and stopping.
#include "net/metrics_endpoint.hpp"

#include <doctest/doctest.h>

#include <thread>

#include "support/loopback.hpp"

using namespace loopback;

TEST_CASE("metrics endpoint: an idle connection is closed; stop closes the others") {
    uv_loop_t loop;
    uv_loop_init(&loop);
    net::MetricsPages pages{[] { return std::string("x_total 1\n"); },
                            [] {
                                return net::HealthReport{true, "ok\n"};
                            }};
    net::MetricsEndpoint endpoint(&loop, {"127.0.0.1", 0}, pages, 200);
    std::string error;
    REQUIRE_MESSAGE(endpoint.start(error), error);
    const std::uint16_t port = endpoint.bound_port();
    uv_async_t stop{};
    stop.data = &endpoint;
    uv_async_init(&loop, &stop, [](uv_async_t* async) {
        static_cast<net::MetricsEndpoint*>(async->data)->stop([async] {
            uv_close(reinterpret_cast<uv_handle_t*>(async), nullptr);
        });
    });
    std::thread runner([&] { uv_run(&loop, UV_RUN_DEFAULT); });

    // Says nothing: closed after the idle timeout.
    Socket idle = connect_to(port);
    REQUIRE(idle.valid());
    std::string nothing;
    CHECK(idle.read_to_eof(nothing, 5s));
    CHECK(nothing.empty());

    // Asks once and keeps the connection: the answer, then closed when idle too.
    Socket asked = connect_to(port);
    asked.send_all("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string answer;
    CHECK(asked.read_to_eof(answer, 5s));
    CHECK(answer.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(answer.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") !=
          std::string::npos);
    CHECK(answer.substr(answer.size() - 10) == "x_total 1\n");

    // A connection open at stop is closed by it, and the loop ends.
    Socket open = connect_to(port);
    open.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string health;
    CHECK(open.read_until(health, "ok\n", 5s));
    uv_async_send(&stop);
    runner.join();
    std::string rest;
    CHECK(open.read_to_eof(rest, 5s));
    CHECK_FALSE(connect_to(port).valid());
    CHECK(uv_loop_close(&loop) == 0);
}
