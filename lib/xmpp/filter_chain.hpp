// Runs a stanza through the filters of a link in order (as Envoy's network filter chain):
// each filter's `forward` hands the stanza to the next filter, a rewrite hands the new bytes
// on instead, and injected stanzas go straight out without passing the later filters.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/stanza_filter.hpp"

namespace xmpp {

// Where the chain's results go, in the order they must be written.
class StanzaOutput {
  public:
    virtual ~StanzaOutput() = default;
    // `how` says whether `bytes` is the stanza as received (forward), its rewrite
    // (forward_rewritten) or an extra stanza (inject).
    virtual void emit(Direction direction, std::string_view bytes, Decision::Kind how) = 0;
    // An injected copy in its three pieces (Decisions::pieces_of): an output that writes them
    // one after the other spares the copy a buffer of its own. By default they are joined and
    // emitted as an injection.
    virtual void emit_copy(Direction direction, const Decisions::CopyPieces& copy) {
        std::string joined;
        copy.append_to(joined);
        emit(direction, joined, Decision::Kind::inject);
    }
    virtual void note(std::string_view line) = 0;
    // What the same stanza emits after this waits until the state recorded so far is durable
    // (and so does whatever would overtake it). When `fallback` is not empty and the commit
    // fails, it is written in `fallback_direction` instead of what the stanza emits after this
    // call.
    virtual void persist(Direction fallback_direction, std::string_view fallback) {
        (void)fallback_direction;
        (void)fallback;
    }
    // A change of a filter's state to keep, before anything decided after it.
    virtual void record(const StateRecord& change) { (void)change; }
};

class FilterChain {
  public:
    void add(std::shared_ptr<StanzaFilter> filter);
    bool empty() const { return filters_.empty(); }

    void run(Direction direction, const Stanza& stanza, Moment now, StanzaOutput& out);
    // Tells every filter that a read from `direction`'s source has been processed.
    void end_batch(Direction direction, Moment now, StanzaOutput& out);
    // Tells every filter that a component session started (handshake accepted) or ended.
    void start_session(Moment now, StanzaOutput& out);
    void end_session(Moment now, StanzaOutput& out);
    // Between batches (StanzaFilter::prepare_ahead).
    void prepare_ahead();

  private:
    template <typename Hook>
    void tell_every_filter(Hook&& hook, Moment now, StanzaOutput& out);
    void carry_out(std::size_t index, const Decisions& decisions, const Stanza* stanza, Moment now,
                   StanzaOutput& out);
    void run_from(std::size_t index, Direction direction, const Stanza& stanza, Moment now,
                  StanzaOutput& out);

    std::vector<std::shared_ptr<StanzaFilter>> filters_;
    std::vector<Decisions> decisions_;  // one per filter, reused
};

}  // namespace xmpp
