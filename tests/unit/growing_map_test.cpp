// The map that grows a little at every insert instead of all at once: it must answer like an
// ordinary map while two generations coexist, and never have a whole generation left to move.
#include "offline/growing_map.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>

TEST_CASE("growing map: answers like std::map through every generation") {
    offline::GrowingMap<std::string, int> map;
    std::map<std::string, int> expected;
    std::mt19937 random(7);
    std::size_t generations = 0;
    std::size_t largest_move_per_put = 0;
    for (int i = 0; i < 60000; ++i) {
        const std::string key = "k" + std::to_string(random() % 40000);
        if (random() % 4 == 0) {
            CHECK(map.erase(key) == (expected.erase(key) == 1));
        } else {
            const std::size_t moving_before = map.moving();
            map.put(key, i);
            expected[key] = i;
            if (moving_before == 0 && map.moving() > 0) ++generations;
            if (moving_before > map.moving())
                largest_move_per_put = std::max(largest_move_per_put, moving_before - map.moving());
        }
        if (i % 997 == 0) {
            REQUIRE(map.size() == expected.size());
            for (const auto& [k, v] : expected) {
                const int* found = map.find(k);
                REQUIRE(found != nullptr);
                CHECK(*found == v);
            }
        }
    }
    CHECK(generations >= 5);
    // Each insert moves at most 2 entries over, and may replace one the old generation held.
    CHECK(largest_move_per_put >= 2);
    CHECK(largest_move_per_put <= 3);
    CHECK(map.find(std::string("absent")) == nullptr);
}

TEST_CASE("growing map: a new generation starts only once the old one has moved over") {
    offline::GrowingMap<std::uint64_t, std::uint64_t> map;
    std::uint64_t previous_moving = 0;
    for (std::uint64_t i = 0; i < 200000; ++i) {
        map.put(i, i * 3);
        // A jump in entries still to move means a new generation: the old one was empty.
        if (map.moving() > previous_moving) CHECK(previous_moving == 0);
        previous_moving = map.moving();
    }
    CHECK(map.size() == 200000);
    CHECK(*map.find(std::uint64_t{123456}) == 370368);
    for (std::uint64_t i = 0; i < 200000; i += 2) CHECK(map.erase(i));
    CHECK(map.size() == 100000);
    CHECK(map.find(std::uint64_t{4}) == nullptr);
    CHECK(*map.find(std::uint64_t{5}) == 15);
}
