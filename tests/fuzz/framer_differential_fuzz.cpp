// libFuzzer target: the fuzzer's bytes become a stream's stanzas (after one of a few headers),
// cut into pieces; its first byte chooses the header, the pieces and the size limit, and the
// scanner path must agree with expat alone (tests/unit/support/framer_differential.hpp). Run by
// tests/fuzz/run-framer.sh.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "support/framer_differential.hpp"

namespace {
// The stanzas' inherited namespace comes from the header: declared, another one, none, or
// with a prefix declared for the stanzas to use.
const std::string kHeaders[] = {
    "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
    "xmlns='jabber:component:accept' to='conference.localhost'>",
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
    "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>",
    "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns:p='urn:p' "
    "xmlns='jabber:component:accept' xml:lang='en'>",
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::uint8_t shape = data[0];
    const std::string stream =
        kHeaders[(shape >> 3) & 3] + std::string(reinterpret_cast<const char*>(data) + 1, size - 1);
    constexpr std::size_t kPieces[] = {0, 1, 2, 5, 16, 64, 300, 0};
    std::mt19937 random(shape);
    const auto cuts = test_support::random_cuts(stream.size(), kPieces[shape & 7], random);
    xml::FramerLimits limits;
    if (shape & 0x80) limits.max_unit_bytes = 64 + (shape & 0x70) * 8;
    const std::string difference = test_support::compare_paths(stream, cuts, limits);
    if (!difference.empty()) {
        std::fprintf(stderr, "%s\n", difference.c_str());
        std::abort();
    }
    return 0;
}
