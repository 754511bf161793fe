// The offline-delivery filter in a filter chain, as a link runs it, with everything it decides
// recorded: stanzas in (one read's worth at a time), decisions and log lines out.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "offline/delivery_session.hpp"
#include "offline/offline_delivery.hpp"
#include "xml/standalone.hpp"
#include "xmpp/filter_chain.hpp"

namespace test_support {

struct Out {
    xmpp::Direction direction;
    xmpp::Decision::Kind how;
    std::string bytes;  // for persist: the fallback, if any
};

class DeliveryHarness : public xmpp::StanzaOutput {
  public:
    explicit DeliveryHarness(offline::Options options = {})
        : delivery(std::make_shared<offline::OfflineDelivery>(options, "conference.localhost")) {
        chain.add(offline::open_session(delivery));
    }

    // Feeds one read's worth of stanzas from one side, then the end of that batch; `out` and
    // `notes` then hold what they decided.
    std::vector<Out> feed(xmpp::Direction direction, const std::vector<std::string>& stanzas,
                          long long at_ms = 0) {
        out.clear();
        notes.clear();
        for (const std::string& raw : stanzas) {
            xml::ElementView view;
            REQUIRE(xml::parse_standalone(raw, view));
            chain.run(direction, xmpp::Stanza{view, raw}, xmpp::Moment(at_ms * 1000), *this);
        }
        chain.end_batch(direction, xmpp::Moment(at_ms * 1000), *this);
        return out;
    }
    std::vector<Out> from_muc(const std::vector<std::string>& stanzas, long long at_ms = 0) {
        return feed(xmpp::Direction::to_server, stanzas, at_ms);
    }
    std::vector<Out> from_server(const std::vector<std::string>& stanzas, long long at_ms = 0) {
        return feed(xmpp::Direction::to_component, stanzas, at_ms);
    }

    std::vector<std::string> injected() const {
        std::vector<std::string> copies;
        for (const Out& o : out) {
            if (o.how == xmpp::Decision::Kind::inject) copies.push_back(o.bytes);
        }
        return copies;
    }

    void emit(xmpp::Direction direction, std::string_view bytes,
              xmpp::Decision::Kind how) override {
        out.push_back({direction, how, std::string(bytes)});
    }
    void note(std::string_view line) override { notes.emplace_back(line); }
    void persist(xmpp::Direction fallback_direction, std::string_view fallback) override {
        out.push_back({fallback_direction, xmpp::Decision::Kind::persist, std::string(fallback)});
    }
    // The changes kept, in order (not cleared by feed()).
    void record(const xmpp::StateRecord& change) override {
        const auto* kept = dynamic_cast<const offline::StateChangeRecord*>(&change);
        REQUIRE(kept != nullptr);
        recorded.push_back(kept->change);
    }
    // Carries out decisions made outside a stanza (a registration set by the test itself).
    void carry_out(const xmpp::Decisions& decisions) {
        for (const xmpp::Decision& decision : decisions) {
            if (decision.kind == xmpp::Decision::Kind::record) record(*decision.record);
            if (decision.kind == xmpp::Decision::Kind::note) note(decision.bytes);
        }
    }

    std::shared_ptr<offline::OfflineDelivery> delivery;
    xmpp::FilterChain chain;
    std::vector<Out> out;
    std::vector<std::string> notes;
    std::vector<offline::StateChange> recorded;
};

// The harness on one room, room@conference.localhost, with its members opting in, joining and
// leaving as the MUC shows it.
class RoomHarness : public DeliveryHarness {
  public:
    static constexpr const char* kRoom = "room@conference.localhost";
    using DeliveryHarness::DeliveryHarness;

    // As a commit would (its record and its effects on the member's delivery).
    void opt_in(const std::string& member, const std::string& nick) {
        xmpp::Decisions decided;
        delivery->registrations().set(kRoom, member, offline::Registration{nick, true}, {},
                                      &decided);
        carry_out(decided);
    }
    // The MUC's self-presence for `full_jid` under `nick` (status 110).
    void join(const std::string& full_jid, const std::string& nick) {
        from_muc({"<presence from='" + std::string(kRoom) + "/" + nick + "' to='" + full_jid +
                  "'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' "
                  "role='participant'/><status code='110'/></x></presence>"});
    }
    void leave(const std::string& full_jid, const std::string& nick,
               const std::string& extra_status = "") {
        from_muc({"<presence type='unavailable' from='" + std::string(kRoom) + "/" + nick +
                  "' to='" + full_jid +
                  "'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' "
                  "role='none'/>" +
                  extra_status + "<status code='110'/></x></presence>"});
    }
};

}  // namespace test_support
