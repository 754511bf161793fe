#include "durable_state.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace {
constexpr std::uint64_t kWriteBehindMs = 200;
}

struct DurableState::LinkSink : offline::ChangeSink {
    DurableState& owner;
    std::string link;
    LinkSink(DurableState& state, std::string name) : owner(state), link(std::move(name)) {}
    void record(offline::StateChange change) override { owner.record(link, std::move(change)); }
};

DurableState::DurableState(uv_loop_t* loop, std::unique_ptr<store::SqliteStore> store)
    : loop_(loop), store_(std::move(store)) {
    work_.data = this;
    uv_check_init(loop_, &end_of_iteration_);
    end_of_iteration_.data = this;
    uv_timer_init(loop_, &write_behind_);
    write_behind_.data = this;
    open_handles_ = 2;
}

DurableState::~DurableState() = default;

offline::ChangeSink* DurableState::sink_for(const std::string& link) {
    auto& sink = sinks_[link];
    if (!sink) sink = std::make_unique<LinkSink>(*this, link);
    return sink.get();
}

void DurableState::record(const std::string& link, offline::StateChange change) {
    pending_.emplace_back(link, std::move(change));
    if (!in_flight_) schedule_write_behind();
}

void DurableState::schedule_write_behind() {
    if (closing_ || uv_is_active(reinterpret_cast<uv_handle_t*>(&write_behind_))) return;
    uv_timer_start(
        &write_behind_,
        [](uv_timer_t* timer) {
            auto* self = static_cast<DurableState*>(timer->data);
            if (!self->in_flight_) self->start_batch();
        },
        kWriteBehindMs, 0);
}

void DurableState::after_durable(std::function<void()> done) {
    waiting_.push_back(std::move(done));
    if (closing_) return;
    uv_check_start(&end_of_iteration_, [](uv_check_t* check) {
        auto* self = static_cast<DurableState*>(check->data);
        uv_check_stop(check);
        if (!self->in_flight_) self->start_batch();
    });
}

void DurableState::start_batch() {
    if (pending_.empty() && waiting_.empty()) return;
    uv_timer_stop(&write_behind_);
    batch_.swap(pending_);
    pending_.clear();
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
    if (!batch_error_.empty()) {
        ++failed_batches_;
        spdlog::error("store {}: writing {} change(s) failed: {}", store_->path(), batch_.size(),
                      batch_error_);
    }
    batch_.clear();
    auto callbacks = std::move(batch_waiting_);
    batch_waiting_.clear();
    for (auto& done : callbacks) done();
    if (closing_) {
        commit_rest_and_close();
    } else if (!waiting_.empty()) {
        start_batch();
    } else if (!pending_.empty()) {
        schedule_write_behind();
    }
}

void DurableState::close(std::function<void()> done) {
    closing_ = true;
    on_closed_ = std::move(done);
    uv_check_stop(&end_of_iteration_);
    uv_timer_stop(&write_behind_);
    if (!in_flight_) commit_rest_and_close();
}

void DurableState::commit_rest_and_close() {
    // Shutdown: nothing else runs on the loop any more, a blocking commit is fine here.
    std::string error;
    if (!pending_.empty() && !store_->apply(pending_, error)) {
        spdlog::error("store {}: writing {} change(s) at shutdown failed: {}", store_->path(),
                      pending_.size(), error);
    }
    pending_.clear();
    auto callbacks = std::move(waiting_);
    waiting_.clear();
    for (auto& done : callbacks) done();
    for (uv_handle_t* handle : {reinterpret_cast<uv_handle_t*>(&end_of_iteration_),
                                reinterpret_cast<uv_handle_t*>(&write_behind_)}) {
        if (uv_is_closing(handle)) continue;
        uv_close(handle, [](uv_handle_t* closed) {
            auto* self = static_cast<DurableState*>(closed->data);
            if (--self->open_handles_ == 0 && self->on_closed_) self->on_closed_();
        });
    }
}
