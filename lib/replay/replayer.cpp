#include "replay/replayer.hpp"

#include <cmath>

#include "session/component_session.hpp"

namespace replay {
namespace {

using session::Side;
using xmpp::Direction;

std::size_t index_of(Direction direction) {
    return direction == Direction::to_server ? 0 : 1;
}

Direction direction_to(Side side) {
    return side == Side::server ? Direction::to_server : Direction::to_component;
}

// The driver a capture gives the session core: it records instead of writing.
class Recorder : public session::SessionActions {
  public:
    explicit Recorder(ReplayResult& result) : result_(result) {}

    void attach(session::ComponentSession& core) { core_ = &core; }
    void at(double t) { t_ = t; }

    void write(const session::Write& write) override {
        const Direction direction = direction_to(write.to);
        std::string bytes;
        write.append_to(bytes);
        result_.output[index_of(direction)] += bytes;
        switch (write.unit) {
            case session::Unit::stream:
                return;
            case session::Unit::relayed:
                // What waited for a commit is worth seeing: the guarantee is in its order.
                if (write.after_persist) add(Change::Kind::forward, direction, std::move(bytes));
                return;
            case session::Unit::rewritten:
                add(Change::Kind::rewrite, direction, std::move(bytes));
                return;
            case session::Unit::added:
            case session::Unit::fallback:
                add(Change::Kind::inject, direction, std::move(bytes));
                return;
        }
    }
    void wait_durable(std::uint64_t ticket, Side fallback_to, std::string_view fallback) override {
        add(Change::Kind::persist, direction_to(fallback_to), std::string(fallback));
        core_->durable(ticket, true);
    }
    void note(std::string_view line) override {
        add(Change::Kind::note, Direction::to_server, std::string(line));
    }
    void dropped(Direction direction, std::string_view raw) override {
        add(Change::Kind::drop, direction, std::string(raw));
    }
    void log(session::LogLevel level, std::string_view line) override {
        if (level >= session::LogLevel::warn) last_warning_ = line;
    }
    void ended() override {
        if (!last_warning_.empty()) result_.error = last_warning_;
    }
    void connect_upstream() override {}
    void handshake_accepted() override {}
    bool over_high_watermark() override { return false; }

  private:
    void add(Change::Kind kind, Direction direction, std::string bytes) {
        result_.changes.push_back({kind, direction, std::move(bytes), t_});
    }

    ReplayResult& result_;
    session::ComponentSession* core_ = nullptr;
    double t_ = 0;
    std::string last_warning_;
};

}  // namespace

std::string_view kind_name(Change::Kind kind) {
    switch (kind) {
        case Change::Kind::inject:
            return "inject";
        case Change::Kind::rewrite:
            return "rewrite";
        case Change::Kind::drop:
            return "drop";
        case Change::Kind::persist:
            return "persist";
        case Change::Kind::forward:
            return "forward";
        case Change::Kind::note:
            return "note";
    }
    return "?";
}

ReplayResult replay_capture(const std::vector<Chunk>& chunks, const ReplayLink& link,
                            std::unique_ptr<xmpp::FilterChain> chain) {
    ReplayResult result;
    Recorder recorder(result);
    session::LinkCounters counters;
    session::ComponentSession core(
        session::SessionRules{link.domain, link.max_stanza_bytes, 1, /*durable=*/true},
        std::move(chain), recorder, counters);
    recorder.attach(core);
    for (const Chunk& chunk : chunks) {
        if (core.ended()) break;
        recorder.at(chunk.t);
        core.feed(chunk.direction == Direction::to_server ? Side::component : Side::server,
                  chunk.data, xmpp::Moment(std::llround(chunk.t * 1e6)));
    }
    return result;
}

}  // namespace replay
