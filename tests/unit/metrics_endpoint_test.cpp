// The HTTP endpoint alone, on a loop of its own: idle connections and stopping.
#include "net/metrics_endpoint.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/loopback.hpp"

using namespace loopback;

TEST_CASE("metrics endpoint: an idle connection is closed; stop closes the others") {
    uv_loop_t loop;
    uv_loop_init(&loop);
    net::MetricsPages pages{[] { return std::string("x_total 1\n"); },
                            [] {
                                return net::HealthReport{true, "ok\n"};
                            }};
    net::MetricsEndpoint endpoint(&loop, {"127.0.0.1", 0}, pages, {.idle_timeout_ms = 200});
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

namespace {

// An endpoint on a loop of its own thread, stopped (and its loop closed) at the end.
class EndpointOnLoop {
  public:
    EndpointOnLoop(net::MetricsEndpointLimits limits, std::string metrics_page = "x_total 1\n")
        : page_(std::move(metrics_page)) {
        uv_loop_init(&loop_);
        net::MetricsPages pages{[this] { return page_; },
                                [] {
                                    return net::HealthReport{true, "ok\n"};
                                }};
        endpoint_ = std::make_unique<net::MetricsEndpoint>(&loop_, config::Endpoint{"127.0.0.1", 0},
                                                           pages, limits, &counters_);
        std::string error;
        REQUIRE_MESSAGE(endpoint_->start(error), error);
        port_ = endpoint_->bound_port();
        stop_.data = endpoint_.get();
        uv_async_init(&loop_, &stop_, [](uv_async_t* async) {
            static_cast<net::MetricsEndpoint*>(async->data)->stop([async] {
                uv_close(reinterpret_cast<uv_handle_t*>(async), nullptr);
            });
        });
        runner_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
    }
    ~EndpointOnLoop() {
        stop();
        endpoint_.reset();
        CHECK(uv_loop_close(&loop_) == 0);
    }
    std::uint16_t port() const { return port_; }
    // Read after the loop has stopped (stop()), or as a rough figure while it runs.
    const net::MetricsEndpointCounters& counters() const { return counters_; }
    void stop() {
        if (stopped_) return;
        stopped_ = true;
        uv_async_send(&stop_);
        runner_.join();
    }

  private:
    std::string page_;
    uv_loop_t loop_{};
    uv_async_t stop_{};
    net::MetricsEndpointCounters counters_;
    std::unique_ptr<net::MetricsEndpoint> endpoint_;
    std::thread runner_;
    std::uint16_t port_ = 0;
    bool stopped_ = false;
};

std::string scrape(std::uint16_t port, std::string_view path) {
    Socket scraper = connect_to(port);
    if (!scraper.valid()) return {};
    scraper.send_all("GET " + std::string(path) +
                     " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    std::string answer;
    scraper.read_to_eof(answer, 5s);
    return answer;
}

}  // namespace

TEST_CASE(
    "metrics endpoint: with every connection taken by a slow client, a scrape still gets in; "
    "the client waiting longest is closed for it") {
    EndpointOnLoop endpoint({.max_connections = 64});
    // Clients that began a request and send the rest of it slowly (one byte now and then),
    // accepted in this order: the first is the one waiting longest.
    std::vector<Socket> slow;
    const auto add_slow_client = [&] {
        slow.push_back(connect_to(endpoint.port()));
        REQUIRE(slow.back().valid());
        slow.back().send_all("GET /metr");
        CHECK(slow.back().read_some(5ms).empty());
    };
    for (int i = 0; i < 64; ++i) add_slow_client();
    for (int round = 0; round < 3; ++round) {
        const std::string answer = scrape(endpoint.port(), "/metrics");
        CHECK(answer.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
        CHECK(answer.ends_with("x_total 1\n"));
        std::string rest;
        CHECK(slow[round].read_to_eof(rest, 5s));
        CHECK(rest.empty());
        add_slow_client();  // every connection is taken again
    }
    // The others are still open.
    CHECK(slow[3].read_some(50ms).empty());
    CHECK_FALSE(slow[3].eof());
    endpoint.stop();
    CHECK(endpoint.counters().evicted == 3);
    CHECK(endpoint.counters().refused == 0);
}

TEST_CASE(
    "metrics endpoint: a request trickling in byte by byte is closed at the request deadline") {
    EndpointOnLoop endpoint({.idle_timeout_ms = 300, .request_timeout_ms = 300});
    Socket slow = connect_to(endpoint.port());
    REQUIRE(slow.valid());
    // Each byte comes well within the idle timeout; the request as a whole never completes.
    const std::string request = "GET /metrics?" + std::string(4000, 'a');
    std::size_t sent = 0;
    for (int i = 0; i < 100 && !slow.eof(); ++i) {
        sent += slow.send_some_nonblocking(request.substr(sent, 1));
        std::string got = slow.read_some(50ms);
        CHECK(got.empty());
    }
    CHECK(slow.eof());
    CHECK(sent < 200);  // closed long before the 8 KiB bound would have answered 431

    // A request that comes whole in time is answered as always.
    CHECK(scrape(endpoint.port(), "/healthz").rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    endpoint.stop();
    CHECK(endpoint.counters().request_timeout == 1);
}

TEST_CASE("metrics endpoint: a connection being answered is not closed to make room") {
    // A page larger than the kernel buffers: its write stays in flight while the client does
    // not read.
    const std::string big_page(32 * 1024 * 1024, '#');
    EndpointOnLoop endpoint({.max_connections = 2}, big_page);
    Socket reading_slowly = connect_to(endpoint.port());
    reading_slowly.send_all("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    std::string page;
    CHECK(reading_slowly.read_exactly(page, 1000, 5s));
    Socket waiting = connect_to(endpoint.port());
    waiting.send_all("GET /hea");
    CHECK(waiting.read_some(50ms).empty());

    // The third connection closes the one waiting for its request, although it came later.
    CHECK(scrape(endpoint.port(), "/healthz").rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    std::string rest;
    CHECK(waiting.read_to_eof(rest, 5s));
    CHECK(rest.empty());
    CHECK(reading_slowly.read_to_eof(page, 10s));
    CHECK(page.size() > big_page.size());
    CHECK(page.ends_with(big_page.substr(0, 100)));
    endpoint.stop();
    CHECK(endpoint.counters().evicted == 1);
}
