#pragma once
// A doctest decorator for the tests of the offline feature, which is the proxy's: over a
// socat relay (E2E_RELAY=socat) they are reported as skipped, not passed.
#include <doctest/doctest.h>

#include "proxy.hpp"

namespace rig {

inline doctest::skip needs_the_proxy() {
    return doctest::skip(relay_kind_from_env() == RelayKind::socat);
}

}  // namespace rig
