#include "replay/replayer.hpp"

#include <cmath>

#include "xml/framer.hpp"

namespace replay {
namespace {

using xmpp::Decision;
using xmpp::Direction;

std::size_t index_of(Direction direction) {
    return direction == Direction::to_server ? 0 : 1;
}

class Session : public xmpp::StanzaOutput {
  public:
    Session(xmpp::FilterChain& chain, ReplayResult& result)
        : chain_(chain),
          result_(result),
          component_(*this, Direction::to_server),
          server_(*this, Direction::to_component) {}

    void feed(const Chunk& chunk) {
        t_ = chunk.t;
        Side& side = chunk.direction == Direction::to_server ? component_ : server_;
        if (!side.framer.feed(chunk.data)) {
            result_.error = std::string(xmpp::direction_name(chunk.direction)) + ": " +
                            std::string(xml::condition_name(side.framer.error().kind)) + ": " +
                            side.framer.error().text;
            return;
        }
        if (authenticated_) chain_.end_batch(chunk.direction, now(), *this);
    }

    void emit(Direction direction, std::string_view bytes, Decision::Kind how) override {
        result_.output[index_of(direction)] += bytes;
        if (how == Decision::Kind::forward) {
            forwarded_ = true;
            // What waited for a commit is worth seeing: the guarantee is in its order.
            if (persisted_)
                result_.changes.push_back(
                    {Change::Kind::forward, direction, std::string(bytes), t_});
        } else if (how == Decision::Kind::forward_rewritten) {
            forwarded_ = true;
            result_.changes.push_back({Change::Kind::rewrite, direction, std::string(bytes), t_});
        } else {
            result_.changes.push_back({Change::Kind::inject, direction, std::string(bytes), t_});
        }
    }
    void note(std::string_view line) override {
        result_.changes.push_back(
            {Change::Kind::note, Direction::to_server, std::string(line), t_});
    }
    void persist(Direction fallback_direction, std::string_view fallback) override {
        persisted_ = true;
        result_.changes.push_back(
            {Change::Kind::persist, fallback_direction, std::string(fallback), t_});
    }

  private:
    struct Side : xml::FrameSink {
        Session& session;
        Direction direction;
        xml::Framer framer;
        Side(Session& owner, Direction d)
            : session(owner), direction(d), framer(*this, xml::FramerLimits{}) {}
        void on_stream_open(const xml::ElementView&, std::string_view raw) override {
            session.pass(direction, raw);
        }
        void on_stanza(const xml::ElementView& top, std::string_view raw) override {
            session.stanza(direction, top, raw);
        }
        void on_whitespace(std::string_view raw) override { session.pass(direction, raw); }
        void on_stream_close(std::string_view raw) override { session.pass(direction, raw); }
    };

    xmpp::Moment now() const { return xmpp::Moment(std::llround(t_ * 1e6)); }
    void pass(Direction direction, std::string_view raw) {
        result_.output[index_of(direction)] += raw;
    }

    void stanza(Direction direction, const xml::ElementView& top, std::string_view raw) {
        if (!authenticated_) {
            if (direction == Direction::to_component && top.name.local == "handshake")
                authenticated_ = true;
            pass(direction, raw);
            return;
        }
        forwarded_ = false;
        persisted_ = false;
        chain_.run(direction, xmpp::Stanza{top, raw}, now(), *this);
        if (!forwarded_)
            result_.changes.push_back({Change::Kind::drop, direction, std::string(raw), t_});
    }

    xmpp::FilterChain& chain_;
    ReplayResult& result_;
    Side component_;
    Side server_;
    bool authenticated_ = false;
    bool forwarded_ = false;
    bool persisted_ = false;  // the stanza being run asked for a persist
    double t_ = 0;
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

ReplayResult replay_capture(const std::vector<Chunk>& chunks, xmpp::FilterChain& chain) {
    ReplayResult result;
    Session session(chain, result);
    for (const Chunk& chunk : chunks) {
        session.feed(chunk);
        if (!result.error.empty()) break;
    }
    return result;
}

}  // namespace replay
