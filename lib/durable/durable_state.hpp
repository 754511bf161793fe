// Makes the feature's recorded changes durable without blocking the loop: every change the
// links record goes into the next batch; a batch is one SQLite transaction on libuv's thread
// pool. A link waiting on a persist barrier gets its callback when the batch holding the
// changes before the barrier has committed (true) or failed (false). Batches start at the end
// of a loop iteration, so everything recorded in one iteration shares one transaction; changes
// no one waits for (sessions, member states) are written behind within kWriteBehindMs.
//
// A failed batch is not dropped: its changes go back in front of the pending ones and are
// retried (at once for a new waiter, otherwise with a backoff from 0.2 s to 5 s) until a commit
// succeeds; the in-memory state stays authoritative meanwhile. What is kept is bounded by
// `max_retained_bytes`: past it the oldest changes are dropped, counted and logged. While the
// last attempt failed the store is not writable, which /healthz reports.
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "metrics/histogram.hpp"
#include "net/durability.hpp"
#include "offline/state_store.hpp"
#include "store/sqlite_store.hpp"

namespace durable {

class DurableState : public net::Durability {
  public:
    DurableState(uv_loop_t* loop, std::unique_ptr<store::SqliteStore> store,
                 std::size_t max_retained_bytes = config::Store{}.max_retained_bytes);
    ~DurableState() override;

    offline::StoredState load(const std::string& link) { return store_->load(link); }

    // A link's filter decided to keep a change (an offline::StateChangeRecord); it goes into
    // the next batch, in order.
    void record(const std::string& link, const xmpp::StateRecord& change) override;
    void record(const std::string& link, offline::StateChange change);

    void after_durable(std::function<void(bool durable)> done) override;

    // At shutdown: commits what is left (after any batch in flight) and closes the handles;
    // `done` runs once nothing is pending.
    void close(std::function<void()> done);

    // A reload: applies to what is kept from now on.
    void set_max_retained_bytes(std::size_t bytes) { max_retained_bytes_ = bytes; }

    std::uint64_t batches() const { return batches_; }
    double last_commit_ms() const { return last_commit_ms_; }
    double max_commit_ms() const { return max_commit_ms_; }
    // Seconds from a batch's start on the pool to its end back on the loop.
    const metrics::Histogram& commit_seconds() const { return commit_seconds_; }
    std::uint64_t failed_batches() const { return failed_batches_; }
    const std::string& path() const { return store_->path(); }
    // False from a failed commit until the next one succeeds; `unwritable_reason` says why.
    bool writable() const { return writable_; }
    const std::string& unwritable_reason() const { return unwritable_reason_; }
    // Changes recorded and not yet on disk (waiting for the next batch or for a retry).
    std::size_t pending_changes() const { return pending_.size(); }
    // Changes dropped unwritten to stay within max_retained_bytes.
    std::uint64_t changes_dropped() const { return changes_dropped_; }

  private:
    using Batch = std::vector<std::pair<std::string, offline::StateChange>>;
    using Waiters = std::vector<std::function<void(bool)>>;

    void schedule_write_behind(std::uint64_t delay_ms);
    void start_at_end_of_iteration();
    void start_batch();
    void on_batch_done();
    void on_failure(const std::string& error);
    void keep_within_bound();
    void commit_rest_and_close();

    uv_loop_t* loop_;
    std::unique_ptr<store::SqliteStore> store_;
    Batch pending_;
    std::size_t pending_bytes_ = 0;
    std::size_t max_retained_bytes_;
    Waiters waiting_;
    // The batch in flight and what waits on it; touched by the pool thread only while in flight.
    Batch batch_;
    Waiters batch_waiting_;
    std::string batch_error_;
    std::uint64_t batch_started_ns_ = 0;
    bool in_flight_ = false;
    uv_work_t work_{};
    uv_check_t end_of_iteration_{};
    uv_timer_t write_behind_{};
    bool closing_ = false;
    std::function<void()> on_closed_;
    std::uint64_t batches_ = 0;
    double last_commit_ms_ = 0;
    double max_commit_ms_ = 0;
    metrics::Histogram commit_seconds_{
        {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}};
    std::uint64_t failed_batches_ = 0;
    // While the store cannot write: why, since when, how often it failed, the next retry's delay.
    bool writable_ = true;
    std::string unwritable_reason_;
    std::uint64_t unwritable_since_ns_ = 0;
    std::uint64_t last_reminder_ns_ = 0;
    std::uint64_t failures_in_a_row_ = 0;
    std::uint64_t retry_ms_ = 0;
    std::uint64_t changes_dropped_ = 0;
    std::uint64_t dropped_while_failing_ = 0;
};

}  // namespace durable
