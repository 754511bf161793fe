#include "load_run.hpp"

#include <uv.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "arrival_check.hpp"
#include "xmpp/handshake.hpp"

namespace bench {
namespace {

constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr std::size_t kMaxInFlight = 512 * 1024;
constexpr std::string_view kStreamId = "bench-stream-1";

std::string component_header() {
    return "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
           "xmlns:stream='http://etherx.jabber.org/streams' to='" +
           std::string(kDomain) + "'>";
}

std::string server_header() {
    return "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
           "xmlns:stream='http://etherx.jabber.org/streams' from='" +
           std::string(kDomain) + "' id='" + std::string(kStreamId) + "'>";
}

class LoadRun;

class NoStanzas : public Script {
    void append(std::uint64_t, std::string&) const override {}
};
const NoStanzas kNoStanzas;

// One end of the component link as the load generator plays it.
struct End {
    enum class Role { server, muc } role;
    LoadRun* run = nullptr;
    uv_tcp_t tcp{};
    bool open = false;
    bool established = false;
    std::string rx;
    std::size_t rx_used = 0;

    // What this end sends in the current phase.
    Flow flow;
    std::uint64_t next_seq = 0;
    std::size_t in_flight = 0;
    std::vector<std::uint64_t> sent_at;
    // What it receives.
    std::unique_ptr<ArrivalCheck> check;
};

struct Write {
    uv_write_t req{};
    End* end = nullptr;
    std::string bytes;
};

class LoadRun {
  public:
    explicit LoadRun(const RunSpec& spec) : spec_(spec) {
        uv_loop_init(&loop_);
        server_.role = End::Role::server;
        muc_.role = End::Role::muc;
        server_.run = muc_.run = this;
    }
    ~LoadRun() { uv_loop_close(&loop_); }

    RunResult run();

    // libuv callbacks
    void on_connection();
    void on_connected(int status);
    void on_read(End& end, ssize_t n, const uv_buf_t* buf);
    void on_written(Write* write, int status);
    void on_tick();
    void on_watchdog();
    void sample_rss();

  private:
    void send_raw(End& end, std::string bytes);
    void handshake_step(End& end);
    void start_phase();
    void pump(End& end);
    void check_arrivals(End& end, std::uint64_t now);
    void finish_phase();
    void fail(std::string why);
    void close_all();
    std::uint64_t arrivals() const;
    FlowResult flow_result(End& receiver, const End& sender);

    const RunSpec& spec_;
    uv_loop_t loop_{};
    uv_tcp_t listener_{};
    uv_connect_t connect_{};
    uv_timer_t tick_{}, watchdog_{}, rss_timer_{};
    End server_, muc_;
    std::unique_ptr<Relay> relay_;
    std::size_t phase_ = 0;
    bool measuring_ = false;
    std::uint64_t phase_start_ = 0;
    Relay::CpuTimes cpu_at_start_;
    std::vector<std::pair<double, std::uint64_t>> loop_busy_at_start_, loop_cpu_at_start_;
    std::uint64_t last_arrivals_ = 0, last_progress_ = 0;
    RunResult result_;
    bool finished_ = false;
    std::vector<std::unique_ptr<Write>> spare_writes_;
};

End& end_of(uv_handle_t* handle) {
    return *static_cast<End*>(handle->data);
}

void drop_front(End& end, std::size_t n) {
    std::memmove(end.rx.data(), end.rx.data() + n, end.rx_used - n);
    end.rx_used -= n;
}

RunResult LoadRun::run() {
    uv_tcp_init(&loop_, &listener_);
    listener_.data = this;
    sockaddr_in address{};
    uv_ip4_addr("127.0.0.1", 0, &address);
    uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&address), 0);
    if (uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 16, [](uv_stream_t* s, int) {
            static_cast<LoadRun*>(s->data)->on_connection();
        }) != 0) {
        throw std::runtime_error("the fake server cannot listen");
    }
    sockaddr_in bound{};
    int length = sizeof bound;
    uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &length);
    PinnedCpus pinned(spec_.placement);
    relay_ = std::make_unique<Relay>(spec_.relay, ntohs(bound.sin_port));
    pinned.relay_started();

    uv_tcp_init(&loop_, &muc_.tcp);
    muc_.tcp.data = &muc_;
    muc_.open = true;
    uv_ip4_addr("127.0.0.1", relay_->port(), &address);
    connect_.data = this;
    uv_tcp_connect(
        &connect_, &muc_.tcp, reinterpret_cast<const sockaddr*>(&address),
        [](uv_connect_t* c, int status) { static_cast<LoadRun*>(c->data)->on_connected(status); });
    uv_timer_init(&loop_, &tick_);
    tick_.data = this;
    uv_timer_init(&loop_, &watchdog_);
    watchdog_.data = this;
    uv_timer_init(&loop_, &rss_timer_);
    rss_timer_.data = this;
    last_progress_ = uv_hrtime();
    uv_timer_start(
        &watchdog_, [](uv_timer_t* t) { static_cast<LoadRun*>(t->data)->on_watchdog(); }, 500, 500);
    uv_run(&loop_, UV_RUN_DEFAULT);

    result_.rss_after = relay_->rss_bytes();
    try {
        relay_->stop();
    } catch (const std::exception& e) {
        // The run itself has finished (fail() would ignore it): a relay that ends badly still
        // fails the run, with its own words.
        if (result_.ok) result_.error = e.what();
        result_.ok = false;
    }
    return result_;
}

void LoadRun::fail(std::string why) {
    if (finished_) return;
    result_.ok = false;
    result_.error = std::move(why);
    close_all();
}

void LoadRun::close_all() {
    finished_ = true;
    auto close = [](uv_handle_t* h) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
    };
    close(reinterpret_cast<uv_handle_t*>(&listener_));
    close(reinterpret_cast<uv_handle_t*>(&tick_));
    close(reinterpret_cast<uv_handle_t*>(&watchdog_));
    close(reinterpret_cast<uv_handle_t*>(&rss_timer_));
    if (muc_.open) close(reinterpret_cast<uv_handle_t*>(&muc_.tcp));
    if (server_.open) close(reinterpret_cast<uv_handle_t*>(&server_.tcp));
}

void start_reading(End& end) {
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&end.tcp),
        [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
            End& e = end_of(h);
            if (e.rx.size() < e.rx_used + kChunkBytes) e.rx.resize(e.rx_used + kChunkBytes);
            buf->base = e.rx.data() + e.rx_used;
            buf->len = kChunkBytes;
        },
        [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
            End& e = end_of(reinterpret_cast<uv_handle_t*>(s));
            e.run->on_read(e, n, buf);
        });
}

void LoadRun::on_connection() {
    if (server_.open) {
        fail("a second connection reached the fake server");
        return;
    }
    uv_tcp_init(&loop_, &server_.tcp);
    server_.tcp.data = &server_;
    server_.open = true;
    if (uv_accept(reinterpret_cast<uv_stream_t*>(&listener_),
                  reinterpret_cast<uv_stream_t*>(&server_.tcp)) != 0) {
        fail("the fake server cannot accept");
        return;
    }
    uv_tcp_nodelay(&server_.tcp, 1);
    start_reading(server_);
}

void LoadRun::on_connected(int status) {
    if (status != 0) {
        fail(std::string("the fake MUC cannot connect: ") + uv_strerror(status));
        return;
    }
    uv_tcp_nodelay(&muc_.tcp, 1);
    start_reading(muc_);
    send_raw(muc_, component_header());
}

void LoadRun::send_raw(End& end, std::string bytes) {
    std::unique_ptr<Write> write;
    if (!spare_writes_.empty()) {
        write = std::move(spare_writes_.back());
        spare_writes_.pop_back();
    } else {
        write = std::make_unique<Write>();
    }
    write->end = &end;
    write->bytes = std::move(bytes);
    write->req.data = this;
    end.in_flight += write->bytes.size();
    uv_buf_t buf = uv_buf_init(write->bytes.data(), static_cast<unsigned>(write->bytes.size()));
    Write* raw = write.release();
    int rc = uv_write(&raw->req, reinterpret_cast<uv_stream_t*>(&end.tcp), &buf, 1,
                      [](uv_write_t* req, int status) {
                          Write* w = reinterpret_cast<Write*>(req);
                          static_cast<LoadRun*>(req->data)->on_written(w, status);
                      });
    if (rc != 0) {
        delete raw;
        fail(std::string("write failed: ") + uv_strerror(rc));
    }
}

void LoadRun::on_written(Write* write, int status) {
    std::unique_ptr<Write> owned(write);
    End& end = *write->end;
    end.in_flight -= write->bytes.size();
    write->bytes.clear();
    spare_writes_.push_back(std::move(owned));
    if (status != 0) {
        fail(std::string(end.role == End::Role::muc ? "the fake MUC" : "the fake server") +
             " could not write: " + uv_strerror(status));
        return;
    }
    if (!finished_ && measuring_ && end.flow.rate == 0) pump(end);
}

// XEP-0114 §3 on both ends; the bytes after the handshake belong to the phases.
void LoadRun::handshake_step(End& end) {
    std::string_view rx(end.rx.data(), end.rx_used);
    if (end.role == End::Role::server) {
        const auto header = rx.find("<stream:stream");
        const auto header_end = rx.find('>', header == std::string_view::npos ? 0 : header);
        const auto shake = rx.find("<handshake>");
        const auto shake_end = rx.find("</handshake>");
        if (header == std::string_view::npos || header_end == std::string_view::npos) return;
        if (server_.next_seq == 0) {  // header not answered yet
            if (rx.find("to='" + std::string(kDomain) + "'") == std::string_view::npos) {
                fail("the component's stream header does not name " + std::string(kDomain));
                return;
            }
            server_.next_seq = 1;
            send_raw(end, server_header());
        }
        if (shake == std::string_view::npos || shake_end == std::string_view::npos) return;
        const auto digest = rx.substr(shake + 11, shake_end - shake - 11);
        if (digest != xmpp::handshake_digest(kStreamId, kSecret)) {
            fail("the handshake digest is not SHA-1(stream id + secret): " + std::string(digest));
            return;
        }
        send_raw(end, "<handshake/>");
        drop_front(end, shake_end + 12);
    } else {
        const auto header = rx.find("<stream:stream");
        const auto header_end = rx.find('>', header == std::string_view::npos ? 0 : header);
        if (header == std::string_view::npos || header_end == std::string_view::npos) return;
        if (muc_.next_seq == 0) {
            const auto id = rx.find(" id='", header);
            if (id == std::string_view::npos || id > header_end) {
                fail("the server's stream header has no id");
                return;
            }
            const auto id_end = rx.find('\'', id + 5);
            const std::string stream_id(rx.substr(id + 5, id_end - id - 5));
            muc_.next_seq = 1;
            send_raw(end,
                     "<handshake>" + xmpp::handshake_digest(stream_id, kSecret) + "</handshake>");
        }
        const auto ok = rx.find("<handshake/>", header_end);
        if (ok == std::string_view::npos) return;
        drop_front(end, ok + 12);
    }
    end.next_seq = 0;
    end.established = true;
    if (server_.established && muc_.established) start_phase();
}

void LoadRun::on_read(End& end, ssize_t n, const uv_buf_t*) {
    if (finished_) return;
    const std::uint64_t now = uv_hrtime();
    if (n < 0) {
        fail(std::string(end.role == End::Role::muc ? "the fake MUC's" : "the fake server's") +
             " connection ended: " + uv_strerror(static_cast<int>(n)) + "; last bytes: " +
             end.rx.substr(end.rx_used > 200 ? end.rx_used - 200 : 0,
                           std::min<std::size_t>(end.rx_used, 200)));
        return;
    }
    end.rx_used += static_cast<std::size_t>(n);
    if (!end.established) {
        handshake_step(end);
        if (!end.established || finished_ || !end.check) return;
    }
    check_arrivals(end, now);
}

void LoadRun::check_arrivals(End& end, std::uint64_t now) {
    if (!end.check) return;  // bytes before the phase starts wait
    std::string_view pending(end.rx.data(), end.rx_used);
    if (!end.check->consume(pending, now)) {
        fail(std::string(end.role == End::Role::server ? "MUC -> server" : "server -> MUC") +
             ", phase " + std::to_string(phase_ + 1) + ": " + end.check->error());
        return;
    }
    drop_front(end, end.rx_used - pending.size());
    if (server_.check->done() && muc_.check->done()) finish_phase();
}

void LoadRun::start_phase() {
    const Phase& phase = spec_.phases[phase_];
    measuring_ = true;
    const bool last = phase_ + 1 == spec_.phases.size();
    const bool copies = spec_.relay.kind == RelayKind::proxy_on;
    muc_.flow = phase.to_server;
    server_.flow = phase.to_muc;
    for (End* end : {&muc_, &server_}) {
        end->next_seq = 0;
        end->sent_at.assign(spec_.latency && last ? end->flow.count : 0, 0);
    }
    auto checker = [&](const Flow& flow, const End& sender) {
        return std::make_unique<ArrivalCheck>(flow.script ? *flow.script : kNoStanzas, flow.count,
                                              copies,
                                              sender.sent_at.empty() ? nullptr : &sender.sent_at);
    };
    server_.check = checker(phase.to_server, muc_);
    muc_.check = checker(phase.to_muc, server_);
    if (last) {
        result_.rss_before_measured = relay_->rss_bytes();
        cpu_at_start_ = relay_->cpu();
        loop_busy_at_start_ = relay_->loop_buckets("loop_busy_seconds");
        loop_cpu_at_start_ = relay_->loop_buckets("loop_busy_cpu_seconds");
    }
    phase_start_ = uv_hrtime();
    if (last && spec_.rss_sample_interval_ms > 0) {
        sample_rss();
        uv_timer_start(
            &rss_timer_, [](uv_timer_t* t) { static_cast<LoadRun*>(t->data)->sample_rss(); },
            spec_.rss_sample_interval_ms, spec_.rss_sample_interval_ms);
    }
    if (phase.to_server.rate > 0 || phase.to_muc.rate > 0) {
        uv_timer_start(
            &tick_, [](uv_timer_t* t) { static_cast<LoadRun*>(t->data)->on_tick(); }, 1, 1);
    }
    pump(muc_);
    pump(server_);
    // Bytes that came with the handshake.
    check_arrivals(server_, uv_hrtime());
    if (!finished_) check_arrivals(muc_, uv_hrtime());
}

void LoadRun::pump(End& end) {
    const Flow& flow = end.flow;
    if (flow.script == nullptr || end.next_seq >= flow.count) return;
    std::uint64_t limit = flow.count;
    if (flow.rate > 0) {
        const double elapsed = static_cast<double>(uv_hrtime() - phase_start_) / 1e9;
        limit = std::min<std::uint64_t>(flow.count,
                                        static_cast<std::uint64_t>(elapsed * flow.rate) + 1);
    }
    while (end.next_seq < limit && (flow.rate > 0 || end.in_flight < kMaxInFlight)) {
        std::string chunk;
        chunk.reserve(kChunkBytes + 4096);
        const std::uint64_t now = uv_hrtime();
        while (end.next_seq < limit && chunk.size() < kChunkBytes) {
            if (!end.sent_at.empty()) end.sent_at[end.next_seq] = now;
            flow.script->append(end.next_seq++, chunk);
        }
        send_raw(end, std::move(chunk));
        if (finished_) return;
    }
}

void LoadRun::on_tick() {
    if (finished_) return;
    pump(muc_);
    if (!finished_) pump(server_);
}

void LoadRun::sample_rss() {
    const double seconds = static_cast<double>(uv_hrtime() - phase_start_) / 1e9;
    result_.rss_samples.push_back(RssSample{seconds, relay_->rss_bytes()});
}

std::uint64_t LoadRun::arrivals() const {
    std::uint64_t n = 0;
    for (const End* end : {&server_, &muc_}) {
        if (end->check) n += end->check->stanzas() + end->check->copies();
    }
    return n;
}

void LoadRun::on_watchdog() {
    if (finished_) return;
    const std::uint64_t now = uv_hrtime();
    const std::uint64_t n = arrivals();
    if (n != last_arrivals_ || !server_.established || !muc_.established) {
        if (n != last_arrivals_) last_progress_ = now;
        last_arrivals_ = n;
    }
    if (static_cast<double>(now - last_progress_) / 1e9 < spec_.stall_seconds) return;
    std::string why = "stalled for " + std::to_string(static_cast<int>(spec_.stall_seconds)) + " s";
    if (!server_.established || !muc_.established) {
        why += " before the handshake completed";
    } else {
        why += " in phase " + std::to_string(phase_ + 1) + ": the server received " +
               std::to_string(server_.check->stanzas()) + " of " + std::to_string(muc_.flow.count) +
               " stanzas and " + std::to_string(server_.check->copies()) +
               " copies; the MUC received " + std::to_string(muc_.check->stanzas()) + " of " +
               std::to_string(server_.flow.count);
    }
    fail(why);
}

// The iterations of the proxy's loop during the measured phase, from two scrapes of its
// cumulative histogram: quantiles as the upper bound of the bucket that holds them.
LoopBusy loop_busy_between(const std::vector<std::pair<double, std::uint64_t>>& before,
                           const std::vector<std::pair<double, std::uint64_t>>& after) {
    LoopBusy busy;
    if (after.empty() || after.size() != before.size()) return busy;
    busy.iterations = after.back().second - before.back().second;
    if (busy.iterations == 0) return busy;
    auto bound_of = [&](double quantile) {
        for (std::size_t i = 0; i < after.size(); ++i) {
            const std::uint64_t at_or_below = after[i].second - before[i].second;
            if (static_cast<double>(at_or_below) >= quantile * static_cast<double>(busy.iterations))
                return after[i].first * 1e6;
        }
        return after.back().first;
    };
    busy.p99_us = bound_of(0.99);
    busy.p999_us = bound_of(0.999);
    busy.worst_us = bound_of(1.0);
    return busy;
}

void percentiles(std::vector<std::uint32_t>& ns, double& p50_us, double& p99_us, double& p999_us) {
    if (ns.empty()) return;
    std::sort(ns.begin(), ns.end());
    auto at = [&](double q) {
        const auto i = std::min(ns.size() - 1, static_cast<std::size_t>(q * ns.size()));
        return ns[i] / 1000.0;
    };
    p50_us = at(0.5);
    p99_us = at(0.99);
    p999_us = at(0.999);
}

FlowResult LoadRun::flow_result(End& receiver, const End& sender) {
    FlowResult r;
    ArrivalCheck& check = *receiver.check;
    r.stanzas = check.stanzas();
    r.copies = check.copies();
    r.copy_bytes = check.copy_bytes();
    r.bytes = check.stanza_bytes() + r.copy_bytes;
    if (sender.flow.count > 0 && check.last_arrival_ns() > phase_start_)
        r.seconds = static_cast<double>(check.last_arrival_ns() - phase_start_) / 1e9;
    percentiles(check.latencies_ns(), r.p50_us, r.p99_us, r.p999_us);
    double ignored = 0;
    percentiles(check.waited_latencies_ns(), r.waited_p50_us, r.waited_p99_us, ignored);
    return r;
}

void LoadRun::finish_phase() {
    uv_timer_stop(&tick_);
    if (phase_ + 1 < spec_.phases.size()) {
        ++phase_;
        start_phase();
        return;
    }
    const Relay::CpuTimes cpu = relay_->cpu();
    // A thread that ended on the way takes its schedstat with it: then the ticks are read.
    const bool precise = cpu.on_cpu_ns >= cpu_at_start_.on_cpu_ns && cpu_at_start_.on_cpu_ns > 0;
    result_.relay_cpu_ns =
        precise ? cpu.on_cpu_ns - cpu_at_start_.on_cpu_ns
                : (cpu.user_ns + cpu.system_ns) - (cpu_at_start_.user_ns + cpu_at_start_.system_ns);
    result_.relay_system_ns = cpu.system_ns - cpu_at_start_.system_ns;
    result_.relay_minor_faults = cpu.minor_faults - cpu_at_start_.minor_faults;
    if (uv_is_active(reinterpret_cast<uv_handle_t*>(&rss_timer_))) {
        uv_timer_stop(&rss_timer_);
        sample_rss();
    }
    result_.loop_busy =
        loop_busy_between(loop_busy_at_start_, relay_->loop_buckets("loop_busy_seconds"));
    result_.loop_cpu =
        loop_busy_between(loop_cpu_at_start_, relay_->loop_buckets("loop_busy_cpu_seconds"));
    result_.to_server = flow_result(server_, muc_);
    result_.to_muc = flow_result(muc_, server_);
    result_.ok = true;
    close_all();
}

}  // namespace

RunResult run_load(const RunSpec& spec) {
    if (spec.phases.empty()) throw std::invalid_argument("a run needs at least one phase");
    LoadRun run(spec);
    return run.run();
}

}  // namespace bench
