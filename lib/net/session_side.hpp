// One side of a session (the MUC's socket or the server's) with its write queue and framer.
// Private to the Session's files (session.cpp, session_upstream.cpp, session_held_output.cpp).
#pragma once

#include <memory>
#include <string>

#include "net/session.hpp"

namespace net {

inline constexpr std::size_t kReadBufferBytes = 64 * 1024;

struct Session::Side : xml::FrameSink {
    Session& session;
    SideKind kind;
    uv_tcp_t tcp{};
    WriteQueue out;
    xml::Framer framer;
    std::unique_ptr<char[]> read_buffer{new char[kReadBufferBytes]};
    Utf8Carry capture_carry;
    bool handle_open = false;
    bool connected = false;
    bool reading = false;
    bool closing = false;
    bool shutdown_started = false;
    bool broken = false;  // a read or write failed: nothing more can be written
    // The stream header this side was sent (by the other side, or by the proxy itself): its
    // prefix is needed to write a matching closing tag.
    bool header_sent = false;
    std::string header_prefix;

    Side(Session& owner, SideKind side_kind, std::size_t max_stanza_bytes)
        : session(owner),
          kind(side_kind),
          out(reinterpret_cast<uv_stream_t*>(&tcp),
              [this](int status) { session.on_written(*this, status); }),
          framer(*this, xml::FramerLimits{.max_unit_bytes = max_stanza_bytes}) {
        tcp.data = this;
    }

    uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp); }

    void on_stream_open(const xml::ElementView& header, std::string_view raw) override {
        session.on_stream_open(*this, header, raw);
    }
    void on_stanza(const xml::ElementView& top, std::string_view raw) override {
        session.on_stanza(*this, top, raw);
        session.keep_rest_if_over_watermark(*this);
    }
    void on_whitespace(std::string_view raw) override { session.on_whitespace(*this, raw); }
    void on_stream_close(std::string_view raw) override { session.on_stream_close(*this, raw); }

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
                side->session.on_read(*side, nread);
            });
    }
    void stop_reading() {
        if (!reading) return;
        reading = false;
        uv_read_stop(stream());
    }
};

}  // namespace net
