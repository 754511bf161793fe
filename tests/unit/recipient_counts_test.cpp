// The held output's counts by recipient: a flat table that must answer like a map of counts
// through long runs of adds and removes (the dead slots it keeps, and drops when it makes
// room, included), with spread hashes and with hashes that share their low bits.
#include "session/recipient_counts.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <random>
#include <vector>

namespace {

void counts_like_a_map(std::uint64_t (*hash_of)(std::uint64_t), int distinct) {
    session::RecipientCounts counts;
    std::map<std::uint64_t, std::uint32_t> model;
    std::vector<std::uint64_t> added;  // one entry per add not yet removed
    std::mt19937_64 random(7);
    for (int step = 0; step < 200000; ++step) {
        const bool remove = !added.empty() && random() % 100 < 48;
        if (remove) {
            const std::size_t at = random() % added.size();
            const std::uint64_t hash = added[at];
            added[at] = added.back();
            added.pop_back();
            counts.remove(hash);
            if (--model[hash] == 0) model.erase(hash);
        } else {
            const std::uint64_t hash = hash_of(random() % static_cast<std::uint64_t>(distinct));
            counts.add(hash);
            ++model[hash];
            added.push_back(hash);
        }
        const std::uint64_t probe = hash_of(random() % static_cast<std::uint64_t>(distinct));
        REQUIRE(counts.contains(probe) == model.contains(probe));
        REQUIRE(counts.empty() == model.empty());
    }
    for (std::uint64_t hash : added) counts.remove(hash);
    CHECK(counts.empty());
    for (int k = 0; k < distinct; ++k) CHECK_FALSE(counts.contains(hash_of(k)));
}

std::uint64_t spread(std::uint64_t k) {
    return (k + 1) * 0x9e3779b97f4a7c15ULL;
}
// Equal low bits: every hash starts its probe at one of four slots.
std::uint64_t shared_low_bits(std::uint64_t k) {
    return ((k + 1) << 20) | (k % 4);
}

}  // namespace

TEST_CASE("recipient counts: answer like a map of counts, through growth and dead slots") {
    counts_like_a_map(spread, 3000);
    counts_like_a_map(spread, 20);
    counts_like_a_map(shared_low_bits, 600);
}

TEST_CASE("recipient counts: a table a burst grew is given back once nothing is held") {
    session::RecipientCounts counts;
    for (std::uint64_t k = 1; k <= 10000; ++k) counts.add(spread(k));
    const std::size_t grown = counts.slots();
    CHECK(grown > 4096);
    counts.release_if_large();  // still counting: kept
    CHECK(counts.slots() == grown);
    CHECK(counts.contains(spread(5000)));
    for (std::uint64_t k = 1; k <= 10000; ++k) counts.remove(spread(k));
    CHECK(counts.empty());
    counts.release_if_large();
    CHECK(counts.slots() == 0);
    CHECK_FALSE(counts.contains(spread(5000)));
    counts.add(spread(5000));
    counts.add(spread(5000));
    counts.remove(spread(5000));
    CHECK(counts.contains(spread(5000)));
    counts.remove(spread(5000));
    CHECK_FALSE(counts.contains(spread(5000)));
}
