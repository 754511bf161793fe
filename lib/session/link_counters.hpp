// What happened on one configured link, over all its component sessions. Atomic so that a
// reader on another thread (tests) reads whole numbers; updated only by the loop thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace session {

struct LinkCounters {
    using Counter = std::atomic<std::uint64_t>;
    Counter sessions_accepted{0};
    Counter sessions_authenticated{0};
    Counter sessions_active{0};
    Counter stanzas_to_server{0};
    Counter stanzas_to_component{0};
    Counter bytes_to_server{0};
    Counter bytes_to_component{0};
    Counter stream_errors_sent{0};
    Counter read_pauses{0};       // times backpressure stopped reading
    Counter queue_peak_bytes{0};  // largest write queue seen
    Counter upstream_failures{0};
    Counter components_connected{0};  // sessions open now whose handshake the server accepted
    // Answers replaced by their fallback because the commit they waited for failed (a
    // registration refused because the store could not keep it).
    Counter answers_not_durable{0};
    // Stream errors the proxy sent, by (side it was sent to, condition). Loop thread only:
    // the metrics endpoint reads it there.
    std::map<std::pair<std::string, std::string>, std::uint64_t> stream_errors_by_condition;
    // Stream errors a peer sent (relayed), by (side that sent it, condition).
    std::map<std::pair<std::string, std::string>, std::uint64_t> peer_stream_errors_by_condition;

    // The loop thread is the only writer: a plain load, add and store, not a locked
    // read-modify-write (two of them for every stanza written; a locked add costs about 20
    // cycles, the plain one one).
    static void add(Counter& counter, std::uint64_t n) {
        counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }

    void note_queue(std::uint64_t bytes) {
        if (bytes > queue_peak_bytes.load(std::memory_order_relaxed)) {
            queue_peak_bytes.store(bytes, std::memory_order_relaxed);
        }
    }
};

}  // namespace session
