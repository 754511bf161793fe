// The listening socket shared by the links and the metrics endpoint.
#include "net/tcp_server.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

TEST_CASE("tcp server: a burst of connections waits in the listen queue instead of being dropped") {
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    uv_tcp_t server{};
    uv_tcp_init(&loop, &server);
    sockaddr_storage address{};
    std::string error;
    REQUIRE_MESSAGE(net::resolve_listen_address("127.0.0.1", 0, address, error), error);
    REQUIRE(net::bind_and_listen(server, reinterpret_cast<const sockaddr*>(&address),
                                 [](uv_stream_t*, int) {}) == 0);
    const std::uint16_t port = net::bound_port(server);
    REQUIRE(port != 0);

    // The loop does not run: nothing is accepted, every connection waits in the queue (a MUC
    // reconnecting while the loop is busy). A connection beyond the backlog has its SYN dropped
    // and stays in progress.
    constexpr int kConnections = 100;
    std::vector<int> fds;
    for (int i = 0; i < kConnections; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        REQUIRE(fd >= 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to);
        fds.push_back(fd);
    }
    int established = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    std::vector<bool> done(fds.size(), false);
    while (established < kConnections && std::chrono::steady_clock::now() < deadline) {
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (done[i]) continue;
            pollfd waiting{fds[i], POLLOUT, 0};
            if (::poll(&waiting, 1, 0) != 1) continue;
            int failure = 0;
            socklen_t length = sizeof failure;
            ::getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &failure, &length);
            done[i] = true;
            if (failure == 0) ++established;
        }
        ::usleep(10000);
    }
    CHECK(established == kConnections);
    for (int fd : fds) ::close(fd);
    uv_close(reinterpret_cast<uv_handle_t*>(&server), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
}
