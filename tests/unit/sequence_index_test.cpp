// The bounce tracker's index of fan-outs by id: a flat table whose keys live with their owner.
// It must answer like an ordinary map while two generations coexist (moved and erased slots of
// the old one included), with real hashes and with hashes that all collide.
#include "offline/sequence_index.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

// Keys by sequence number, as fan-outs keep their ids: every put takes a new sequence.
struct Keys {
    std::vector<std::string> by_sequence;
    std::uint64_t add(std::string key) {
        by_sequence.push_back(std::move(key));
        return by_sequence.size() - 1;
    }
};

struct KeyOf {
    const Keys* keys;
    std::string_view operator()(std::uint64_t sequence) const {
        return keys->by_sequence[sequence];
    }
};

// A few hash values for every key: long probe runs, and equal hashes told apart by the key.
struct FewHashes {
    std::size_t operator()(std::string_view key) const { return key.size() % 3; }
};

template <typename Hash>
void holds_like_a_map(int operations, int distinct_keys) {
    Keys keys;
    offline::SequenceIndex<KeyOf, Hash> index(KeyOf{&keys});
    std::map<std::string, std::uint64_t> expected;
    std::mt19937 random(11);
    std::size_t generations = 0;
    std::size_t largest_move_per_put = 0;
    for (int i = 0; i < operations; ++i) {
        const std::string key = "m" + std::to_string(random() % distinct_keys);
        const auto kept = expected.find(key);
        const std::uint64_t previous = kept == expected.end() ? index.kNone : kept->second;
        if (random() % 8 == 0) {
            CHECK(index.erase(key) == (expected.erase(key) == 1));
        } else if (random() % 8 == 0) {
            // Erased only when it holds an even sequence number.
            const bool erased =
                index.erase_unless(key, [](std::uint64_t sequence) { return sequence % 2 == 1; });
            CHECK(erased == (previous != index.kNone && previous % 2 == 0));
            if (erased) expected.erase(key);
        } else {
            const std::size_t moving_before = index.moving();
            const std::uint64_t sequence = keys.add(key);
            CHECK(index.exchange(key, sequence) == previous);
            expected[key] = sequence;
            if (moving_before == 0 && index.moving() > 0) ++generations;
            if (moving_before > index.moving())
                largest_move_per_put =
                    std::max(largest_move_per_put, moving_before - index.moving());
        }
        if (i % 499 == 0) {
            REQUIRE(index.size() == expected.size());
            for (const auto& [k, v] : expected) {
                CHECK(index.find(k) == v);
            }
            CHECK(index.find("absent") == index.kNone);
        }
    }
    CHECK(generations >= 3);
    // Every new table was written ahead, a few slots per put, not all at once when needed.
    CHECK(index.unprepared_generations() == 0);
    // A put moves at most its few old slots over (and may replace one entry the old one held).
    CHECK(largest_move_per_put <= 5);
}

}  // namespace

TEST_CASE("sequence index: answers like std::map through every generation") {
    holds_like_a_map<std::hash<std::string_view>>(60000, 20000);
}

TEST_CASE("sequence index: keys whose hashes collide are told apart by the key") {
    holds_like_a_map<FewHashes>(6000, 300);
}

TEST_CASE("sequence index: a new generation starts only once the old one has moved over") {
    Keys keys;
    offline::SequenceIndex<KeyOf> index(KeyOf{&keys});
    std::size_t previous_moving = 0;
    for (int i = 0; i < 200000; ++i) {
        const std::string key = "id" + std::to_string(i);
        index.exchange(key, keys.add(key));
        // A jump in entries still to move means a new generation: the old one was empty.
        if (index.moving() > previous_moving) CHECK(previous_moving == 0);
        previous_moving = index.moving();
    }
    CHECK(index.size() == 200000);
    // Puts only, the fastest way to fill a table: each new one was still written ahead in time.
    CHECK(index.unprepared_generations() == 0);
    CHECK(index.find("id123456") == 123456);
    for (int i = 0; i < 200000; i += 2) CHECK(index.erase("id" + std::to_string(i)));
    CHECK(index.size() == 100000);
    CHECK(index.find("id4") == index.kNone);
    CHECK(index.find("id5") == 5);
}

TEST_CASE("sequence index: prepared between batches, no put populates the next table") {
    // Puts in batches of 40 (a read's fan-outs at a high rate), prepare_ahead() between them,
    // as the session calls it once a loop iteration's output is written.
    auto fill = [](bool prepare, std::size_t& populated_on_put, std::size_t& unprepared) {
        Keys keys;
        offline::SequenceIndex<KeyOf> index(KeyOf{&keys});
        for (int i = 0; i < 300000; ++i) {
            const std::string key = "id" + std::to_string(i);
            index.exchange(key, keys.add(key));
            if (prepare && i % 40 == 39) index.prepare_ahead();
        }
        CHECK(index.size() == 300000);
        CHECK(index.find("id0") == 0);
        CHECK(index.find("id299999") == 299999);
        populated_on_put = index.populated_on_put();
        unprepared = index.unprepared_generations();
    };
    std::size_t populated_on_put = 0, unprepared = 0;
    fill(true, populated_on_put, unprepared);
    CHECK(populated_on_put == 0);
    CHECK(unprepared == 0);
    // Never prepared, the puts populate every table's pages themselves, still in time.
    fill(false, populated_on_put, unprepared);
    CHECK(populated_on_put > 100);
    CHECK(unprepared == 0);
}
