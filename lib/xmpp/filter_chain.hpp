// Runs a stanza through the filters of a link in order (as Envoy's network filter chain):
// each filter's `forward` hands the stanza to the next filter, a rewrite hands the new bytes
// on instead, and injected stanzas go straight out without passing the later filters.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "xmpp/stanza_filter.hpp"

namespace xmpp {

// Where the chain's results go, in the order they must be written.
class StanzaOutput {
  public:
    virtual ~StanzaOutput() = default;
    virtual void emit(Direction direction, std::string_view bytes) = 0;
    virtual void note(std::string_view line) = 0;
};

class FilterChain {
  public:
    void add(std::shared_ptr<StanzaFilter> filter);
    bool empty() const { return filters_.empty(); }

    void run(Direction direction, const Stanza& stanza, Moment now, StanzaOutput& out);

  private:
    void run_from(std::size_t index, Direction direction, const Stanza& stanza, Moment now,
                  StanzaOutput& out);

    std::vector<std::shared_ptr<StanzaFilter>> filters_;
    std::vector<Decisions> decisions_;  // one per filter, reused
};

}  // namespace xmpp
