// Occupancy's per-room presence view, as a fan-out uses it (both of its search paths).
#include <doctest/doctest.h>

#include <string>

#include "offline/occupancy.hpp"

TEST_CASE("occupancy: a room's presence view answers for small and large rooms alike") {
    offline::Occupancy occupancy;
    const std::string room = "room@conference.localhost";
    CHECK_FALSE(occupancy.presence_in(room).has("a0@localhost"));  // no such room
    for (int count : {3, 20}) {
        for (int i = 0; i < count; ++i) {
            const std::string member = "a" + std::to_string(i) + "@localhost";
            occupancy.enter(room, member + "/desk", "n" + std::to_string(i));
            occupancy.enter(room, member + "/phone", "n" + std::to_string(i));
        }
        const offline::Occupancy::Presence present = occupancy.presence_in(room);
        for (int i = 0; i < count; ++i) {
            CHECK(present.has("a" + std::to_string(i) + "@localhost"));
            CHECK(present.has("a" + std::to_string(i) + "@localhost") ==
                  occupancy.is_present(room, "a" + std::to_string(i) + "@localhost"));
        }
        CHECK_FALSE(present.has("a" + std::to_string(count) + "@localhost"));
        CHECK_FALSE(present.has("a1@localhos"));
        CHECK_FALSE(present.has("a1@localhost/desk"));
        CHECK_FALSE(occupancy.presence_in("other@conference.localhost").has("a1@localhost"));
    }
    // One session left of two: still present; none left: absent.
    occupancy.leave(room, "a1@localhost/desk");
    CHECK(occupancy.presence_in(room).has("a1@localhost"));
    occupancy.leave(room, "a1@localhost/phone");
    CHECK_FALSE(occupancy.presence_in(room).has("a1@localhost"));
}

TEST_CASE("occupancy: a member with several sessions stays present until the last one leaves") {
    for (int others : {0, 20}) {  // both search paths of the presence view
        offline::Occupancy occupancy;
        const std::string room = "room@conference.localhost";
        const std::string alice = "alice.with.a.long.name@localhost";
        for (int i = 0; i < others; ++i)
            occupancy.enter(room, "o" + std::to_string(i) + "@localhost/x", "o");
        occupancy.enter(room, alice + "/desk", "alice");
        occupancy.enter(room, alice + "/phone", "alice");
        occupancy.enter(room, alice + "/tablet", "alice");
        occupancy.leave(room, alice + "/desk");  // the first session, the one seen first
        CHECK(occupancy.presence_in(room).has(alice));
        occupancy.leave(room, alice + "/tablet");
        CHECK(occupancy.is_present(room, alice));
        occupancy.enter(room, alice + "/desk", "alice");
        occupancy.leave(room, alice + "/phone");
        CHECK(occupancy.presence_in(room).has(alice));
        CHECK(occupancy.sessions() == static_cast<std::size_t>(others) + 1);
        occupancy.leave(room, alice + "/desk");
        CHECK_FALSE(occupancy.presence_in(room).has(alice));
        CHECK_FALSE(occupancy.is_present(room, alice));
    }
}

TEST_CASE("occupancy: a session too long to be a prepared JID is neither kept nor observed") {
    offline::Occupancy occupancy;
    int observed = 0;
    occupancy.observe([&](std::string_view, std::string_view, std::optional<std::string_view>, bool,
                          xmpp::Decisions&) { ++observed; });
    xmpp::Decisions out;
    const std::string room = "room@conference.localhost";
    occupancy.enter(room, "u@localhost/" + std::string(4000, 'r'), "n", &out);
    CHECK(occupancy.sessions() == 0);
    CHECK(observed == 0);
    CHECK(
        occupancy.full_jids_in(room, [](std::string_view, std::uint64_t) { return true; }).empty());
    occupancy.enter(room, "u@localhost/desk", "n", &out);
    CHECK(occupancy.sessions() == 1);
    CHECK(observed == 1);
}

TEST_CASE("occupancy: a room read last, then emptied and made again, is read anew") {
    offline::Occupancy occupancy;
    const std::string room = "room@conference.localhost";
    occupancy.enter(room, "a@localhost/desk", "a");
    occupancy.enter("other@conference.localhost", "b@localhost/desk", "b");
    // Each reader keeps the room it found last: this one, now.
    CHECK(occupancy.has_session_jid(room, "a@localhost/desk",
                                    offline::text_hash("a@localhost/desk")));
    CHECK(occupancy.is_present(room, "a@localhost"));
    // Its last session leaves: the room goes, and what was kept of it with it.
    occupancy.leave(room, "a@localhost/desk");
    CHECK_FALSE(occupancy.is_present(room, "a@localhost"));
    CHECK_FALSE(occupancy.presence_in(room).has("a@localhost"));
    CHECK_FALSE(occupancy.has_session_jid(room, "a@localhost/desk",
                                          offline::text_hash("a@localhost/desk")));
    // Made again, with another session: found as it is now.
    occupancy.enter(room, "c@localhost/pc", "c");
    CHECK(occupancy.presence_in(room).has("c@localhost"));
    CHECK_FALSE(occupancy.presence_in(room).has("a@localhost"));
    CHECK(occupancy.nick_of(room, "c@localhost/pc") == "c");
    CHECK(occupancy.has_session_named(room, "c@localhost/pc", "c"));
    CHECK(occupancy.presence_in("other@conference.localhost").has("b@localhost"));
}
