#include "muconference.hpp"

#include <sstream>
#include <stdexcept>
#include <thread>

#include "text_file.hpp"
#include "xmpp/stream_text.hpp"

namespace rig {
namespace {

// What jcr (mu-conference's component runtime) logs once the server answered the handshake.
constexpr const char* kHandshakeLine = "<handshake> received";

// What it logs once SIGTERM's shutdown sequence (occupants told, rooms dropped) is done.
constexpr const char* kShutdownDoneLine = "SHUTDOWN: Sequence completed";

// When its link drops, jcr (jcr_main_close_stream) unrefs the old connection's GIOChannel
// twice, freeing it while the GLib watch being dispatched still points at it; once the new
// connection is up and the dispatch ends, the watch unrefs the freed channel once more. With
// glibc's per-thread cache that write corrupts the allocator's free lists, and mu-conference
// aborts ("malloc(): unsorted double linked list corrupted") after about two reconnects in
// three (a kill -9 of the link: 2 of 6 survived). With the cache off it survived its first
// reconnect every time (22 of 22), but a second reconnect in the same process still aborts:
// a test stops the link at most once per stack. A graceful close (</stream:stream>) adds a
// second bug, see stream_close_filter.hpp. The setting changes nothing else it does.
constexpr const char* kMallocTuning = "GLIBC_TUNABLES=glibc.malloc.tcache_count=0";

}  // namespace

MuConference::MuConference(const std::filesystem::path& dir, MuConferenceSettings settings)
    : dir_(dir), settings_(std::move(settings)), config_path_(dir / "muc.xml") {
    std::filesystem::create_directories(dir_ / "muc-spool");
    write_text_file(config_path_, config_text());
}

std::string MuConference::config_text() const {
    std::ostringstream xml;
    xml << "<jcr>\n"
        << "  <name>" << xmpp::escape_xml(settings_.domain) << "</name>\n"
        << "  <host>" << xmpp::escape_xml(settings_.domain) << "</host>\n"
        << "  <ip>127.0.0.1</ip>\n"
        << "  <port>" << settings_.port << "</port>\n"
        << "  <secret>" << xmpp::escape_xml(settings_.secret) << "</secret>\n"
        << "  <spool>" << xmpp::escape_xml((dir_ / "muc-spool").string()) << "/</spool>\n"
        << "  <logdir>" << xmpp::escape_xml(dir_.string()) << "/</logdir>\n"
        << "  <pidfile>" << (dir_ / "muc.pid").string()
        << "</pidfile>\n"
        // Everything to stderr, which the rig sends to the log; 255 includes the
        // "<handshake> received" line that tells us it is connected.
        << "  <logstderr/>\n"
        << "  <loglevel>255</loglevel>\n"
        << "  <conference xmlns=\"jabber:config:conference\">\n"
        << "    <public/>\n"
        << "    <vCard><FN>e2e rooms</FN></vCard>\n"
        << "    <history>20</history>\n"
        << "    <notice>\n"
        << "      <join>has become available</join>\n"
        << "      <leave>has left</leave>\n"
        << "      <rename>is now known as</rename>\n"
        << "    </notice>\n"
        << "    <sadmin><user>admin@localhost</user></sadmin>\n"
        << "  </conference>\n"
        << "</jcr>\n";
    return xml.str();
}

void MuConference::start() {
    if (running()) throw std::logic_error("mu-conference is already running");
    process_.reset();
    ++starts_;
    process_ = std::make_unique<Process>(
        "mu-conference",
        std::vector<std::string>{"env", kMallocTuning, "/usr/sbin/mu-conference", "-c",
                                 config_path_.string()},
        dir_ / ("muconference-" + std::to_string(starts_) + ".log"));
}

// mu-conference shuts down from inside its SIGTERM handler (jcr_server_shutdown): it tells
// occupants the rooms are gone, logs "Sequence completed" within milliseconds, and then sits
// in its delivery thread's timed wait (about 5 s) before it exits. That handler is not
// async-signal-safe: now and then it deadlocks, or dies of SIGFPE. So: SIGTERM, give the
// sequence half a second and its last packets a moment to go out, then SIGKILL. The socket
// closes the same way in every case; mu-conference never sends </stream:stream>.
void MuConference::stop() {
    if (!process_) return;
    if (process_->running()) {
        process_->terminate();
        Deadline deadline = Deadline::in(Millis(500));
        while (process_->running() && !deadline.passed() &&
               !file_contains(process_->log_path(), kShutdownDoneLine)) {
            std::this_thread::sleep_for(Millis(5));
        }
    }
    process_->stop(Millis(200));
}

void MuConference::wait_handshake(Deadline deadline) {
    if (!process_) throw std::logic_error("mu-conference was not started");
    while (!file_contains(process_->log_path(), kHandshakeLine)) {
        if (!process_->running() || deadline.passed()) {
            std::ostringstream why;
            why << "mu-conference never completed its handshake on 127.0.0.1:" << settings_.port
                << " (" << process_->state() << ")\n--- tail of " << process_->log_path().string()
                << "\n"
                << process_->log_tail(30);
            throw std::runtime_error(why.str());
        }
        std::this_thread::sleep_for(Millis(10));
    }
}

}  // namespace rig
