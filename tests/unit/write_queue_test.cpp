// The write queue alone, on a socket pair: what is queued leaves in order, in bounded writes.
#include "net/write_queue.hpp"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <thread>

TEST_CASE("write queue: megabytes queued at once leave in bounded writes, in order") {
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    int fds[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    uv_pipe_t pipe{};
    REQUIRE(uv_pipe_init(&loop, &pipe, 0) == 0);
    REQUIRE(uv_pipe_open(&pipe, fds[0]) == 0);

    std::string sent;
    for (std::size_t i = 0; sent.size() < 5 * 1024 * 1024 + 123; ++i)
        sent += "<message id='" + std::to_string(i) + "'/>";

    net::WriteQueue* queue_ptr = nullptr;
    std::size_t largest_write = 0;
    int writes = 0;
    int failure = 0;
    net::WriteQueue queue(reinterpret_cast<uv_stream_t*>(&pipe), [&](int status) {
        if (status != 0) {
            failure = status;
            return;
        }
        ++writes;
        queue_ptr->flush();
        largest_write = std::max(largest_write, queue_ptr->in_flight_bytes());
    });
    queue_ptr = &queue;
    // Queued in stanza-sized pieces, as a fan-out would.
    for (std::size_t at = 0; at < sent.size(); at += 700)
        queue.append(std::string_view(sent).substr(at, 700));
    CHECK(queue.bytes() == sent.size());
    queue.flush();
    largest_write = std::max(largest_write, queue.in_flight_bytes());

    std::string received;
    std::thread reader([&] {
        char buffer[65536];
        while (received.size() < sent.size()) {
            const ssize_t n = read(fds[1], buffer, sizeof buffer);
            if (n <= 0) break;
            received.append(buffer, static_cast<std::size_t>(n));
        }
    });
    uv_run(&loop, UV_RUN_DEFAULT);
    reader.join();

    CHECK(failure == 0);
    CHECK(queue.idle());
    CHECK(largest_write > 0);
    CHECK(largest_write <= net::WriteQueue::kMaxWriteBytes);
    CHECK(writes >= 5);
    CHECK(received.size() == sent.size());
    CHECK((received == sent));

    uv_close(reinterpret_cast<uv_handle_t*>(&pipe), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
    close(fds[1]);
}
