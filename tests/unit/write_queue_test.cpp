// The write queue alone, on a socket pair: what is queued leaves in order, in bounded writes,
// and the blocks it wrote are kept for reuse up to what its owner allows.
#include "net/write_queue.hpp"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <thread>

namespace {

// A loop and a socket pair: the queue writes into one end, a thread reads the other.
struct PipeRig {
    uv_loop_t loop{};
    int fds[2] = {-1, -1};
    uv_pipe_t pipe{};

    PipeRig() {
        REQUIRE(uv_loop_init(&loop) == 0);
        REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
        REQUIRE(uv_pipe_init(&loop, &pipe, 0) == 0);
        REQUIRE(uv_pipe_open(&pipe, fds[0]) == 0);
    }
    ~PipeRig() {
        uv_close(reinterpret_cast<uv_handle_t*>(&pipe), nullptr);
        uv_run(&loop, UV_RUN_DEFAULT);
        CHECK(uv_loop_close(&loop) == 0);
        close(fds[1]);
    }
    uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&pipe); }

    // Runs the loop until `size` bytes arrived at the far end; returns them.
    std::string drain(std::size_t size) {
        std::string received;
        std::thread reader([&] {
            char buffer[65536];
            while (received.size() < size) {
                const ssize_t n = read(fds[1], buffer, sizeof buffer);
                if (n <= 0) break;
                received.append(buffer, static_cast<std::size_t>(n));
            }
        });
        uv_run(&loop, UV_RUN_DEFAULT);
        reader.join();
        return received;
    }
};

std::string stanzas_of(std::size_t bytes) {
    std::string out;
    for (std::size_t i = 0; out.size() < bytes; ++i)
        out += "<message id='" + std::to_string(i) + "'/>";
    return out;
}

// Queued in stanza-sized pieces, as a fan-out would.
void append_in_pieces(net::WriteQueue& queue, std::string_view bytes) {
    for (std::size_t at = 0; at < bytes.size(); at += 700) queue.append(bytes.substr(at, 700));
}

}  // namespace

TEST_CASE("write queue: megabytes queued at once leave in bounded writes, in order") {
    PipeRig rig;
    const std::string sent = stanzas_of(5 * 1024 * 1024 + 123);

    net::WriteQueue* queue_ptr = nullptr;
    std::size_t largest_write = 0;
    int writes = 0;
    int failure = 0;
    net::WriteQueue queue(rig.stream(), [&](int status) {
        if (status != 0) {
            failure = status;
            return;
        }
        ++writes;
        queue_ptr->flush();
        largest_write = std::max(largest_write, queue_ptr->in_flight_bytes());
    });
    queue_ptr = &queue;
    append_in_pieces(queue, sent);
    CHECK(queue.bytes() == sent.size());
    queue.flush();
    largest_write = std::max(largest_write, queue.in_flight_bytes());

    const std::string received = rig.drain(sent.size());
    CHECK(failure == 0);
    CHECK(queue.idle());
    CHECK(largest_write > 0);
    CHECK(largest_write <= net::WriteQueue::kMaxWriteBytes);
    // More than a socket buffer: some of it had to wait for the reader.
    CHECK(writes >= 1);
    CHECK(received.size() == sent.size());
    CHECK((received == sent));
}

TEST_CASE("write queue: what the socket takes at once is written in the flush, with no callback") {
    PipeRig rig;
    int callbacks = 0;
    net::WriteQueue queue(rig.stream(), [&](int) { ++callbacks; });
    const std::string sent = stanzas_of(20 * 1024);
    append_in_pieces(queue, sent);
    queue.flush();
    CHECK(queue.idle());
    CHECK(queue.bytes() == 0);
    CHECK((rig.drain(sent.size()) == sent));
    CHECK(callbacks == 0);
    // A later flush starts from the block's new end.
    queue.append("<message id='last'/>");
    queue.flush();
    CHECK(queue.idle());
    CHECK((rig.drain(20) == "<message id='last'/>"));
    CHECK(callbacks == 0);
}

TEST_CASE("write queue: written blocks are kept for reuse up to the owner's allowance and 1 MiB") {
    constexpr std::size_t kBlock = net::WriteQueue::kBlockBytes;
    // 80 blocks queued at once; the owner allows 48 blocks' worth (and 16 more are kept: one
    // write's worth), the default keeps 16.
    const std::string sent = stanzas_of(80 * kBlock);
    for (const auto& [allowance, kept] :
         {std::pair<std::size_t, std::size_t>{48 * kBlock,
                                              48 + net::WriteQueue::kMaxWriteBytes / kBlock},
          {0, net::WriteQueue::kMinSpareBlocks}}) {
        CAPTURE(allowance);
        PipeRig rig;
        net::WriteQueue* queue_ptr = nullptr;
        net::WriteQueue queue(
            rig.stream(),
            [&](int status) {
                if (status == 0) queue_ptr->flush();
            },
            allowance);
        queue_ptr = &queue;
        // Twice: the second burst reuses the first one's blocks and keeps no more of them.
        for (int burst = 0; burst < 2; ++burst) {
            append_in_pieces(queue, sent);
            queue.flush();
            CHECK(rig.drain(sent.size()).size() == sent.size());
            CHECK(queue.idle());
            CHECK(queue.spare_blocks() == kept);
        }
    }
}

TEST_CASE("write queue: stanzas in three pieces arrive whole, across block ends too") {
    PipeRig rig;
    net::WriteQueue* queue_ptr = nullptr;
    net::WriteQueue queue(rig.stream(), [&](int status) {
        if (status == 0) queue_ptr->flush();
    });
    queue_ptr = &queue;
    std::string sent;
    // 3 blocks' worth of 700-byte copies: most fit in the tail block, some straddle its end.
    const std::string head = "<message id='m' to='";
    const std::string tail = "'>" + std::string(660, 'x') + "</message>";
    for (int i = 0; sent.size() < 3 * net::WriteQueue::kBlockBytes; ++i) {
        const std::string member = "member" + std::to_string(i) + "@localhost";
        queue.append(head, member, tail);
        sent += head + member + tail;
    }
    CHECK(queue.bytes() == sent.size());
    queue.flush();
    CHECK((rig.drain(sent.size()) == sent));
    CHECK(queue.idle());
}
