#include "offline/registrations.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

std::vector<std::string> opted_in(const offline::Registrations& registrations,
                                  const std::string& room) {
    std::vector<std::string> members;
    registrations.for_each_opted_in(room,
                                    [&](const std::string& member) { members.push_back(member); });
    return members;
}

}  // namespace

TEST_CASE("registrations: a fan-out visits the opted-in members only, in member order") {
    offline::Registrations r;
    const std::string room = "room@conference.localhost";
    r.set(room, "dave@localhost", {"dave", true});
    r.set(room, "bob@localhost", {"bob", false});
    r.set(room, "carol@localhost", {"carol", true});
    r.set(room, "alice@localhost", {"alice", true});
    r.set("other@conference.localhost", "erin@localhost", {"erin", true});
    CHECK(opted_in(r, room) ==
          std::vector<std::string>{"alice@localhost", "carol@localhost", "dave@localhost"});

    r.set(room, "carol@localhost", {"carol", false});  // opts out
    r.set(room, "bob@localhost", {"bobby", true});     // opts in under a new nick
    r.set(room, "alice@localhost", {"alice", true});   // submits the same again
    CHECK(r.remove(room, "dave@localhost", "<remove/>"));
    CHECK(opted_in(r, room) == std::vector<std::string>{"alice@localhost", "bob@localhost"});
    CHECK(r.size() == 4);

    CHECK(r.remove_room(room, "room destroyed") == 3);
    CHECK(opted_in(r, room).empty());
    CHECK(opted_in(r, "other@conference.localhost") == std::vector<std::string>{"erin@localhost"});
}
