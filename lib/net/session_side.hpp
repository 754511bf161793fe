// One socket of a session (the MUC's or the server's) with its write queue. Private to the
// Session's files (session.cpp, session_upstream.cpp).
#pragma once

#include <memory>

#include "net/session.hpp"
#include "net/write_queue.hpp"

namespace net {

inline constexpr std::size_t kReadBufferBytes = 64 * 1024;

struct Session::Side {
    Session& owner;
    session::Side which;
    uv_tcp_t tcp{};
    WriteQueue out;
    std::unique_ptr<char[]> read_buffer{new char[kReadBufferBytes]};
    Utf8Carry capture_carry;
    bool open = false;       // the handle is initialized
    bool connected = false;  // reads and writes can happen
    bool reading = false;
    bool closing = false;  // the session is over: written to until drained, then shut down
    bool shutdown_started = false;
    bool done = false;    // shut down, broken or never connected: its handle may close
    bool broken = false;  // a read or write failed: nothing more can be written

    Side(Session& session, session::Side side)
        : owner(session),
          which(side),
          out(
              reinterpret_cast<uv_stream_t*>(&tcp),
              [this](int status) { owner.on_written(*this, status); },
              session.write_queue_high_bytes()) {
        tcp.data = this;
    }

    uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp); }
    const char* name() const { return session::side_name(which); }

    void start_reading() {
        if (reading || closing || !connected) return;
        reading = true;
        uv_read_start(
            stream(),
            [](uv_handle_t* handle, size_t, uv_buf_t* buf) {
                auto* side = static_cast<Side*>(handle->data);
                *buf = uv_buf_init(side->read_buffer.get(), kReadBufferBytes);
            },
            [](uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
                auto* side = static_cast<Side*>(stream->data);
                side->owner.on_read(*side, nread);
            });
    }
    void stop_reading() {
        if (!reading) return;
        reading = false;
        uv_read_stop(stream());
    }
};

}  // namespace net
