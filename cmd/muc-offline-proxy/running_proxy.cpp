#include "running_proxy.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstring>

#include "net/close_handles.hpp"
#include "net/scheduler_slice.hpp"

namespace {

constexpr std::uint64_t kShutdownGraceMs = 5000;

void log_slice(const char* when, const net::SliceOutcome& outcome) {
    using Kind = net::SliceOutcome::Kind;
    const bool trouble = outcome.kind == Kind::refused || outcome.kind == Kind::not_applicable;
    spdlog::log(trouble ? spdlog::level::warn : spdlog::level::info, "{}{}", when, outcome.detail);
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
    return out.empty() ? "none" : out;
}

}  // namespace

std::string config_error_text(const std::string& path, const config::ConfigError& error) {
    const bool names_file = error.message.rfind(path, 0) == 0;
    return (names_file ? "" : path + ": ") + error.message;
}

RunningProxy::RunningProxy(uv_loop_t* loop, std::string config_path, config::Config config,
                           std::unique_ptr<store::SqliteStore> store)
    : loop_(loop),
      config_path_(std::move(config_path)),
      config_(std::move(config)),
      durable_(loop, std::move(store), config_.store.max_retained_bytes),
      features_(config_, &durable_),
      proxy_(loop, config_, features_.factory(), &durable_),
      loop_busy_(loop),
      page_(proxy_, features_, durable_, reloads_, loop_busy_, metrics_endpoint_counters_) {}

RunningProxy::~RunningProxy() = default;

bool RunningProxy::start(std::string& error) {
    for (const std::string& line : features_.summary()) spdlog::info("state loaded: {}", line);
    // Before the first commit starts the thread pool, whose threads inherit it.
    log_slice("", net::request_scheduler_slice(config_.scheduling.slice_us));
    if (!proxy_.start(error)) {
        durable_.close(nullptr);  // the relay has closed what it opened
        return false;
    }
    if (!start_metrics(error)) {
        stop_metrics();
        proxy_.shut_down(0, [this] { durable_.close(nullptr); });
        return false;
    }
    for (uv_signal_t* handle : {&term_, &interrupt_, &hangup_}) {
        uv_signal_init(loop_, handle);
        handle->data = this;
    }
    signals_open_ = true;
    loop_busy_.start();
    auto stop = [](uv_signal_t* handle, int signum) {
        static_cast<RunningProxy*>(handle->data)->shut_down(strsignal(signum));
    };
    uv_signal_start(&term_, stop, SIGTERM);
    uv_signal_start(&interrupt_, stop, SIGINT);
    uv_signal_start(
        &hangup_,
        [](uv_signal_t* handle, int) { static_cast<RunningProxy*>(handle->data)->reload(); },
        SIGHUP);
    return true;
}

bool RunningProxy::start_metrics(std::string& error) {
    if (!config_.metrics.listen) return true;
    const net::MetricsEndpointLimits limits{
        .request_timeout_ms = config_.metrics.request_timeout_ms,
        .max_connections = config_.metrics.max_connections};
    metrics_ = std::make_unique<net::MetricsEndpoint>(loop_, *config_.metrics.listen, page_.pages(),
                                                      limits, &metrics_endpoint_counters_);
    return metrics_->start(error);
}

void RunningProxy::stop_metrics() {
    if (!metrics_) return;
    net::MetricsEndpoint* stopping = metrics_.get();
    // Kept until its handles have closed on the loop, then freed by its own last callback.
    stopped_metrics_.push_back(std::move(metrics_));
    stopping->stop([this, stopping] {
        std::erase_if(stopped_metrics_,
                      [stopping](const auto& endpoint) { return endpoint.get() == stopping; });
    });
}

void RunningProxy::reload() {
    if (shutting_down_) return;
    config::ParseResult result = config::load_config_file(config_path_);
    if (result.error) {
        ++reloads_.refused;
        spdlog::error("SIGHUP: reload refused, still running the previous config: {}",
                      config_error_text(config_path_, *result.error));
        return;
    }
    config::Config next = std::move(*result.config);
    if (next.store.path != config_.store.path) {
        spdlog::warn("SIGHUP: store.path changed to {}: takes effect at the next start",
                     next.store.path);
        next.store.path = config_.store.path;
    }
    if (next.capture_path != config_.capture_path) {
        spdlog::warn("SIGHUP: capture changed: takes effect at the next start");
        next.capture_path = config_.capture_path;
    }
    if (reload_waiting_) {
        spdlog::info("SIGHUP: a reload is already waiting for the store; this one follows it");
    }
    reload_waiting_ = true;
    // A link that starts afresh loads its state from the store: everything recorded so far
    // must be there first.
    durable_.after_durable([this, next = std::move(next)](bool durable) mutable {
        reload_waiting_ = false;
        if (shutting_down_) return;
        if (!durable) {
            spdlog::warn(
                "SIGHUP: the store cannot write ({}): a link that restarts on a new domain starts "
                "from the file, without the {} change(s) still waiting",
                durable_.unwritable_reason(), durable_.pending_changes());
        }
        apply(std::move(next));
    });
}

void RunningProxy::apply(config::Config next) {
    spdlog::default_logger()->set_level(spdlog::level::from_str(next.log.level));
    durable_.set_max_retained_bytes(next.store.max_retained_bytes);
    if (next.scheduling.slice_us != config_.scheduling.slice_us) {
        log_slice("SIGHUP: ", next.scheduling.slice_us == 0
                                  ? net::restore_default_scheduler_slice()
                                  : net::request_scheduler_slice(next.scheduling.slice_us));
    }
    features_.reconfigure(next);
    net::Proxy::Reconfigured changes = proxy_.reconfigure(next);
    const bool metrics_changed = next.metrics != config_.metrics;
    config_ = std::move(next);
    std::string metrics_error;
    if (metrics_changed) {
        stop_metrics();
        if (!start_metrics(metrics_error)) stop_metrics();
    }
    if (!changes.errors.empty() || !metrics_error.empty()) {
        ++reloads_.refused;
        for (const std::string& error : changes.errors)
            spdlog::error("SIGHUP: {}: the link is down", error);
        if (!metrics_error.empty()) spdlog::error("SIGHUP: {}: metrics are off", metrics_error);
    } else {
        ++reloads_.applied;
    }
    spdlog::info(
        "SIGHUP: config reloaded from {}: links unchanged: {}; updated: {}; restarted: {}; "
        "added: {}; removed: {}; log level {}; metrics {}",
        config_path_, joined(changes.kept), joined(changes.updated), joined(changes.restarted),
        joined(changes.added), joined(changes.removed), config_.log.level,
        metrics_ ? config::describe_endpoint(metrics_->listen()) : std::string("off"));
}

void RunningProxy::close_signals() {
    if (!signals_open_) return;
    signals_open_ = false;
    net::close_handles(
        {net::as_handle(&term_), net::as_handle(&interrupt_), net::as_handle(&hangup_)}, nullptr);
    loop_busy_.stop(nullptr);
}

void RunningProxy::shut_down(const char* why) {
    if (shutting_down_) return;
    shutting_down_ = true;
    spdlog::info("{}: shutting down (stop accepting, flush, close streams)", why);
    for (uv_signal_t* handle : {&term_, &interrupt_, &hangup_}) uv_signal_stop(handle);
    stop_metrics();
    proxy_.shut_down(kShutdownGraceMs, [this] {
        // The links are closed: what they recorded is written before the process ends.
        durable_.close([this] { close_signals(); });
    });
}

void RunningProxy::log_summary() const {
    proxy_.log_counters();
    for (const std::string& line : features_.summary()) spdlog::info("{}", line);
    spdlog::info("store {}: {} commit(s), last {:.2f} ms, longest {:.2f} ms (on the thread pool)",
                 config_.store.path, durable_.batches(), durable_.last_commit_ms(),
                 durable_.max_commit_ms());
}
