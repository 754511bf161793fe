// The registration flow on its own, as OfflineDelivery drives it: one stanza in from a side,
// its decisions in `out`.
#pragma once

#include <doctest/doctest.h>

#include <string_view>

#include "offline/occupancy.hpp"
#include "offline/registration_flow.hpp"
#include "offline/registrations.hpp"
#include "xml/standalone.hpp"
#include "xmpp/stanza_filter.hpp"

namespace test_support {

struct FlowRig {
    offline::Options options;
    offline::Registrations registrations;
    offline::Occupancy occupancy;
    offline::RegistrationShared shared;
    offline::RegistrationFlow flow;
    xmpp::Decisions out;

    explicit FlowRig(offline::Options chosen = {})
        : options(chosen),
          flow(options, "conference.localhost", registrations, occupancy, shared) {}

    bool from_server(std::string_view raw, xmpp::Moment now = {}) {
        xml::ElementView top;
        REQUIRE(xml::parse_standalone(raw, top));
        out.clear();
        return flow.from_server(top, raw, now, out);
    }
    bool from_component(std::string_view raw, xmpp::Moment now = {}) {
        xml::ElementView top;
        REQUIRE(xml::parse_standalone(raw, top));
        out.clear();
        return flow.from_component(top, raw, now, out);
    }
};

}  // namespace test_support
