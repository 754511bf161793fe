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

template <typename Hook>
void FilterChain::tell_every_filter(Hook&& hook, Moment now, StanzaOutput& out) {
    for (std::size_t index = 0; index < filters_.size(); ++index) {
        Decisions& decisions = decisions_[index];
        decisions.clear();
        hook(*filters_[index], decisions);
        carry_out(index, decisions, nullptr, now, out);
    }
}

void FilterChain::end_batch(Direction direction, Moment now, StanzaOutput& out) {
    tell_every_filter([&](StanzaFilter& filter,
                          Decisions& decisions) { filter.on_batch_end(direction, now, decisions); },
                      now, out);
}

void FilterChain::prepare_ahead() {
    for (const auto& filter : filters_) filter->prepare_ahead();
}

void FilterChain::start_session(Moment now, StanzaOutput& out) {
    tell_every_filter([&](StanzaFilter& filter,
                          Decisions& decisions) { filter.on_session_start(now, decisions); },
                      now, out);
}

void FilterChain::end_session(Moment now, StanzaOutput& out) {
    tell_every_filter(
        [&](StanzaFilter& filter, Decisions& decisions) { filter.on_session_end(now, decisions); },
        now, out);
}

void FilterChain::run_from(std::size_t index, Direction direction, const Stanza& stanza, Moment now,
                           StanzaOutput& out) {
    if (index == filters_.size()) {
        out.emit(direction, stanza.raw, Decision::Kind::forward);
        return;
    }
    Decisions& decisions = decisions_[index];
    decisions.clear();
    filters_[index]->on_stanza(direction, stanza, now, decisions);
    carry_out(index, decisions, &stanza, now, out);
}

void FilterChain::carry_out(std::size_t index, const Decisions& decisions, const Stanza* stanza,
                            Moment now, StanzaOutput& out) {
    for (const Decision& decision : decisions) {
        switch (decision.kind) {
            case Decision::Kind::forward:
                if (stanza != nullptr) run_from(index + 1, decision.direction, *stanza, now, out);
                break;
            case Decision::Kind::forward_rewritten: {
                if (stanza == nullptr) break;
                if (index + 1 == filters_.size()) {
                    out.emit(decision.direction, decision.bytes, Decision::Kind::forward_rewritten);
                    break;
                }
                // Rare path: later filters need a view of the rewritten stanza.
                xml::ElementView view;
                if (!xml::parse_standalone(decision.bytes, view)) break;
                run_from(index + 1, decision.direction, Stanza{view, decision.bytes}, now, out);
                break;
            }
            case Decision::Kind::inject:
                out.emit(decision.direction, decision.bytes, Decision::Kind::inject);
                break;
            case Decision::Kind::inject_copy:
                out.emit_copy(decision.direction, decisions.pieces_of(decision));
                break;
            case Decision::Kind::note:
                out.note(decision.bytes);
                break;
            case Decision::Kind::persist:
                out.persist(decision.direction, decision.bytes);
                break;
            case Decision::Kind::record:
                if (decision.record) out.record(*decision.record);
                break;
        }
    }
}

}  // namespace xmpp
