#include "durable/durable_state.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "net/close_handles.hpp"

namespace durable {

namespace {
constexpr std::uint64_t kWriteBehindMs = 200;
// A store that cannot write is retried with this backoff, doubling from kWriteBehindMs.
constexpr std::uint64_t kMaxRetryMs = 5000;
// While it cannot write, the error is repeated this often (not once per failed commit).
constexpr std::uint64_t kReminderNs = 60ull * 1000 * 1000 * 1000;
// Changes a batch vector keeps room for once written (about 200 bytes each).
constexpr std::size_t kKeptBatchCapacity = 1024;
// Past this many bytes of changes, a writable store gets them at the end of the loop's
// iteration instead of after kWriteBehindMs: a burst (a join storm) is written in batches as
// large as the commits' pace makes them, not 200 ms of it at a time held in memory.
constexpr std::size_t kEagerBatchBytes = 256 * 1024;

// What a kept change costs in memory, near enough to bound it.
std::size_t bytes_of(const std::pair<std::string, offline::StateChange>& entry) {
    const offline::StateChange& change = entry.second;
    return sizeof entry + entry.first.size() + change.room.size() + change.member.size() +
           change.registration.nick.size();
}

}  // namespace

DurableState::DurableState(uv_loop_t* loop, std::unique_ptr<store::SqliteStore> store,
                           std::size_t max_retained_bytes)
    : loop_(loop), store_(std::move(store)), max_retained_bytes_(max_retained_bytes) {
    work_.data = this;
    uv_check_init(loop_, &end_of_iteration_);
    end_of_iteration_.data = this;
    uv_timer_init(loop_, &write_behind_);
    write_behind_.data = this;
}

DurableState::~DurableState() = default;

void DurableState::record(const std::string& link, const xmpp::StateRecord& change) {
    // A record from another kind of filter is not this store's to keep.
    if (const auto* offline_change = dynamic_cast<const offline::StateChangeRecord*>(&change))
        record(link, offline_change->change);
}

void DurableState::record(const std::string& link, offline::StateChange change) {
    // A change that comes while a batch commits is part of a burst (a join storm): the next
    // batch is about as large as the one in flight, and room for it is one allocation, where
    // growing change by change took a dozen, each moving what was in it. Outside a burst
    // nothing is reserved. (The pool thread only reads batch_ meanwhile.)
    if (in_flight_ && pending_.empty() && pending_.capacity() < batch_.size())
        pending_.reserve(batch_.size());
    pending_.emplace_back(link, std::move(change));
    pending_bytes_ += bytes_of(pending_.back());
    if (pending_bytes_ > max_retained_bytes_) keep_within_bound();
    if (in_flight_) return;
    if (writable_ && pending_bytes_ >= kEagerBatchBytes)
        start_at_end_of_iteration();
    else
        schedule_write_behind(kWriteBehindMs);
}

void DurableState::start_at_end_of_iteration() {
    if (closing_) return;
    uv_check_start(&end_of_iteration_, [](uv_check_t* check) {
        auto* self = static_cast<DurableState*>(check->data);
        uv_check_stop(check);
        if (!self->in_flight_) self->start_batch();
    });
}

void DurableState::schedule_write_behind(std::uint64_t delay_ms) {
    if (closing_ || uv_is_active(reinterpret_cast<uv_handle_t*>(&write_behind_))) return;
    uv_timer_start(
        &write_behind_,
        [](uv_timer_t* timer) {
            auto* self = static_cast<DurableState*>(timer->data);
            if (!self->in_flight_) self->start_batch();
        },
        delay_ms, 0);
}

void DurableState::after_durable(std::function<void(bool)> done) {
    waiting_.push_back(std::move(done));
    start_at_end_of_iteration();
}

void DurableState::start_batch() {
    if (pending_.empty() && waiting_.empty()) return;
    uv_timer_stop(&write_behind_);
    batch_.swap(pending_);
    pending_.clear();
    pending_bytes_ = 0;
    batch_waiting_.swap(waiting_);
    waiting_.clear();
    batch_error_.clear();
    in_flight_ = true;
    batch_started_ns_ = uv_hrtime();
    uv_queue_work(
        loop_, &work_,
        [](uv_work_t* work) {
            auto* self = static_cast<DurableState*>(work->data);
            self->store_->apply(self->batch_, self->batch_error_);
        },
        [](uv_work_t* work, int) { static_cast<DurableState*>(work->data)->on_batch_done(); });
}

void DurableState::on_batch_done() {
    in_flight_ = false;
    ++batches_;
    last_commit_ms_ = static_cast<double>(uv_hrtime() - batch_started_ns_) / 1e6;
    max_commit_ms_ = std::max(max_commit_ms_, last_commit_ms_);
    commit_seconds_.observe(last_commit_ms_ / 1000);
    const bool durable = batch_error_.empty();
    if (durable) {
        if (!writable_) {
            spdlog::warn(
                "store {}: writing again after {} failed commit(s) in {:.1f} s; the changes kept "
                "meanwhile are on disk{}",
                store_->path(), failures_in_a_row_,
                static_cast<double>(uv_hrtime() - unwritable_since_ns_) / 1e9,
                dropped_while_failing_ == 0
                    ? std::string()
                    : " but for " + std::to_string(dropped_while_failing_) +
                          " dropped to stay within store.max_retained_bytes");
        }
        writable_ = true;
        unwritable_reason_.clear();
        failures_in_a_row_ = 0;
        dropped_while_failing_ = 0;
        retry_ms_ = 0;
        // A burst's batch (a join storm's, say) would otherwise keep its capacity for good,
        // in both vectors since they swap.
        if (batch_.capacity() > kKeptBatchCapacity)
            Batch().swap(batch_);
        else
            batch_.clear();
    } else {
        on_failure(batch_error_);
    }
    auto callbacks = std::move(batch_waiting_);
    batch_waiting_.clear();
    for (auto& done : callbacks) done(durable);
    if (closing_) {
        commit_rest_and_close();
    } else if (!waiting_.empty() || (durable && pending_bytes_ >= kEagerBatchBytes)) {
        start_batch();
    } else if (!pending_.empty()) {
        schedule_write_behind(durable ? kWriteBehindMs : retry_ms_);
    }
}

// The batch's changes go back in front of those recorded since, in order: the next commit
// writes them all, so nothing the running proxy knows is lost by a failure it recovers from.
void DurableState::on_failure(const std::string& error) {
    ++failed_batches_;
    ++failures_in_a_row_;
    retry_ms_ = retry_ms_ == 0 ? kWriteBehindMs : std::min(retry_ms_ * 2, kMaxRetryMs);
    for (const auto& entry : batch_) pending_bytes_ += bytes_of(entry);
    batch_.insert(batch_.end(), std::make_move_iterator(pending_.begin()),
                  std::make_move_iterator(pending_.end()));
    pending_.swap(batch_);
    batch_.clear();
    if (pending_bytes_ > max_retained_bytes_) keep_within_bound();

    const std::uint64_t now = uv_hrtime();
    if (writable_ || error != unwritable_reason_) {
        if (writable_) unwritable_since_ns_ = now;
        spdlog::error(
            "store {}: cannot write: {}; registrations are refused (members get an error) and {} "
            "change(s) are kept and retried until it writes again",
            store_->path(), error, pending_.size());
        last_reminder_ns_ = now;
    } else if (now - last_reminder_ns_ >= kReminderNs) {
        spdlog::error(
            "store {}: still cannot write ({}) after {} failed commit(s) in {:.0f} s; {} "
            "change(s) waiting, {} dropped",
            store_->path(), error, failures_in_a_row_,
            static_cast<double>(now - unwritable_since_ns_) / 1e9, pending_.size(),
            dropped_while_failing_);
        last_reminder_ns_ = now;
    }
    writable_ = false;
    unwritable_reason_ = error;
}

// Past the bound the oldest changes go (down to three quarters of it, so that this runs once
// in a while rather than for every change): the running proxy still acts on them, the file will
// not have them unless they change again.
void DurableState::keep_within_bound() {
    const std::size_t target = max_retained_bytes_ / 4 * 3;
    std::size_t dropped = 0;
    while (dropped < pending_.size() && pending_bytes_ > target) {
        pending_bytes_ -= bytes_of(pending_[dropped]);
        ++dropped;
    }
    if (dropped == 0) return;
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(dropped));
    changes_dropped_ += dropped;
    // Once per outage; the reminder and the recovery line carry the count.
    if (dropped_while_failing_ == 0) {
        spdlog::error(
            "store {}: unwritten changes dropped, the oldest first, to stay within "
            "store.max_retained_bytes ({}): the file will lack them after a restart",
            store_->path(), max_retained_bytes_);
    }
    dropped_while_failing_ += dropped;
}

void DurableState::close(std::function<void()> done) {
    on_closed_ = std::move(done);
    if (closing_) return;  // the close under way calls the newest `done`
    closing_ = true;
    uv_check_stop(&end_of_iteration_);
    uv_timer_stop(&write_behind_);
    if (!in_flight_) commit_rest_and_close();
}

void DurableState::commit_rest_and_close() {
    // Shutdown: nothing else runs on the loop any more, a blocking commit is fine here.
    std::string error;
    const bool durable = pending_.empty() || store_->apply(pending_, error);
    if (!durable) {
        ++failed_batches_;
        spdlog::error("store {}: writing {} change(s) at shutdown failed, they are lost: {}",
                      store_->path(), pending_.size(), error);
    }
    pending_.clear();
    pending_bytes_ = 0;
    auto callbacks = std::move(waiting_);
    waiting_.clear();
    for (auto& done : callbacks) done(durable);
    net::close_handles({net::as_handle(&end_of_iteration_), net::as_handle(&write_behind_)},
                       [this] {
                           if (on_closed_) on_closed_();
                       });
}

}  // namespace durable
