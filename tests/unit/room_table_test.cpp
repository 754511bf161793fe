// RoomTable against a std::map model: random adds and erases of short and long names (kept in
// the entry's line or spilled to the heap), through several doublings, with the entries'
// addresses checked to stay where they were.
#include "offline/room_table.hpp"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>

namespace {

using Table = offline::RoomTable<int>;

std::string room_name(int n) {
    std::string name = "room" + std::to_string(n) + "@conference.example.org";
    // One name in four is longer than an entry's line holds.
    if (n % 4 == 0) name += std::string(40 + n % 17, 'x');
    return name;
}

void agree(const Table& table, const std::map<std::string, Table::Entry*>& model, int names) {
    REQUIRE(table.size() == model.size());
    for (int n = 0; n < names; ++n) {
        const std::string name = room_name(n);
        const auto kept = model.find(name);
        Table::Entry* found = table.find(name);
        if (kept == model.end()) {
            CHECK(found == nullptr);
            continue;
        }
        REQUIRE(found == kept->second);
        CHECK(found->name() == name);
        CHECK(found->value == n);
    }
}

}  // namespace

TEST_CASE("room table: adds, finds and erases as a map does, and entries stay put") {
    Table table;
    std::map<std::string, Table::Entry*> model;
    std::mt19937 random(20261206);
    const int names = 700;
    for (int step = 0; step < 6000; ++step) {
        const int n = static_cast<int>(random() % names);
        const std::string name = room_name(n);
        // Adding wins at first so the table grows past several sizes, then erasing catches up.
        const bool add = random() % 100 < (step < 3000 ? 70 : 35);
        if (add) {
            Table::Entry& entry = table.find_or_add(name);
            const auto [kept, inserted] = model.try_emplace(name, &entry);
            CHECK(kept->second == &entry);
            if (inserted) entry.value = n;
        } else if (Table::Entry* entry = table.find(name)) {
            table.erase(*entry);
            CHECK(model.erase(name) == 1);
        } else {
            CHECK(!model.contains(name));
        }
        if (step % 500 == 0) agree(table, model, names);
    }
    agree(table, model, names);
}

TEST_CASE("room table: names differing only in their last byte or length are different rooms") {
    Table table;
    const std::string base(47, 'a');  // an entry's line holds 48 bytes
    table.find_or_add(base).value = 1;
    table.find_or_add(base + "b").value = 2;
    table.find_or_add(base + "bc").value = 3;
    table.find_or_add("").value = 4;
    CHECK(table.size() == 4);
    CHECK(table.find(base)->value == 1);
    CHECK(table.find(base + "b")->value == 2);
    CHECK(table.find(base + "bc")->value == 3);
    CHECK(table.find("")->value == 4);
    CHECK(table.find(base + "c") == nullptr);
    CHECK(table.find(base.substr(1)) == nullptr);
}
