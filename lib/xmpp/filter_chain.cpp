#include "xmpp/filter_chain.hpp"

#include "xml/standalone.hpp"

namespace xmpp {

void FilterChain::add(std::shared_ptr<StanzaFilter> filter) {
    filters_.push_back(std::move(filter));
    decisions_.emplace_back();
}

void FilterChain::run(Direction direction, const Stanza& stanza, Moment now, StanzaOutput& out) {
    run_from(0, direction, stanza, now, out);
}

void FilterChain::run_from(std::size_t index, Direction direction, const Stanza& stanza, Moment now,
                           StanzaOutput& out) {
    if (index == filters_.size()) {
        out.emit(direction, stanza.raw);
        return;
    }
    Decisions& decisions = decisions_[index];
    decisions.clear();
    filters_[index]->on_stanza(direction, stanza, now, decisions);
    for (const Decision& decision : decisions) {
        switch (decision.kind) {
            case Decision::Kind::forward:
                run_from(index + 1, decision.direction, stanza, now, out);
                break;
            case Decision::Kind::forward_rewritten: {
                if (index + 1 == filters_.size()) {
                    out.emit(decision.direction, decision.bytes);
                    break;
                }
                // Rare path: later filters need a view of the rewritten stanza.
                xml::ElementView view;
                if (!xml::parse_standalone(decision.bytes, view)) break;
                run_from(index + 1, decision.direction, Stanza{view, decision.bytes}, now, out);
                break;
            }
            case Decision::Kind::inject:
                out.emit(decision.direction, decision.bytes);
                break;
            case Decision::Kind::note:
                out.note(decision.bytes);
                break;
        }
    }
}

}  // namespace xmpp
