#pragma once
// Each scenario once per MUC, named "<title> [<MUC>]" so doctest filters can pick either;
// reported as skipped over a socat relay (the scenarios are the proxy's feature).
#include <doctest/doctest.h>

#include "muc_process.hpp"
#include "needs_the_proxy.hpp"

#define ON_BOTH_MUCS(title, scenario)                              \
    TEST_CASE(title " [mu-conference]" * rig::needs_the_proxy()) { \
        scenario(rig::MucKind::mu_conference);                     \
    }                                                              \
    TEST_CASE(title " [Prosody's MUC]" * rig::needs_the_proxy()) { \
        scenario(rig::MucKind::prosody);                           \
    }
