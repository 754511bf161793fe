// What happened on one configured link, over all its component sessions. Atomic so that a
// scrape from another thread reads whole numbers; updated only by the loop thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace net {

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

    void note_queue(std::uint64_t bytes) {
        if (bytes > queue_peak_bytes.load(std::memory_order_relaxed)) {
            queue_peak_bytes.store(bytes, std::memory_order_relaxed);
        }
    }
};

}  // namespace net
