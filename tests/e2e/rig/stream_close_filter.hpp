#pragma once
// A loopback relay between mu-conference and the link that passes every byte both ways but
// one: the `</stream:stream>` the link sends when it closes the stream. mu-conference cannot
// take that tag: its end-element handler tears the connection down and starts the next one
// from inside expat's callback, freeing the very parser that is running (jcr_elements.c →
// jcr_main_close_stream → jcr_main_new_stream → XML_ParserFree), and most of the time it then
// aborts on a corrupt heap. A plain end of the TCP stream it handles. So a test that stops the
// proxy gracefully and wants mu-conference to reconnect puts this in front of it
// (StackOptions::shield_muc_from_stream_close); mu-conference still sees the proxy's stream
// error (<system-shutdown/>), then the connection closing.
//
// It runs on a thread of its own, with one connection at a time (mu-conference opens no more).
// While the link does not listen (the proxy is being restarted), a connection from
// mu-conference waits here, its bytes unread, until the link is back.
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace rig {

class StreamCloseFilter {
  public:
    // Listens on a free 127.0.0.1 port and relays to 127.0.0.1:upstream_port.
    explicit StreamCloseFilter(std::uint16_t upstream_port);
    ~StreamCloseFilter();  // stops the thread and closes every socket
    StreamCloseFilter(const StreamCloseFilter&) = delete;
    StreamCloseFilter& operator=(const StreamCloseFilter&) = delete;

    std::uint16_t port() const { return port_; }
    // How many closing tags it has held back so far (read from the test thread).
    int withheld() const { return withheld_.load(); }

  private:
    void run();
    void close_pair();
    bool connect_upstream();
    bool relay_up();    // mu-conference -> link; false at end of stream or error
    bool relay_down();  // link -> mu-conference, without the closing tag

    std::uint16_t upstream_port_;
    std::uint16_t port_ = 0;
    int listen_fd_ = -1;
    int wake_[2] = {-1, -1};  // a byte on wake_[1] stops run()
    int muc_fd_ = -1;
    int upstream_fd_ = -1;
    std::string held_;  // link bytes that may be the start of the closing tag
    std::atomic<int> withheld_{0};
    std::thread thread_;
};

}  // namespace rig
