// RoomSessions against a plain std::map model: random enters, renames and leaves of members
// with one or more resources, in rooms that grow past several index sizes and shrink back.
#include "offline/room_sessions.hpp"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>

#include "offline/string_keys.hpp"

namespace {

std::string bare_of(const std::string& full_jid) {
    return full_jid.substr(0, full_jid.find('/'));
}

// Every answer RoomSessions gives, checked against the model.
void agree(const offline::RoomSessions& sessions, const std::map<std::string, std::string>& model,
           int members) {
    REQUIRE(sessions.size() == model.size());
    CHECK(sessions.empty() == model.empty());
    std::map<std::string, int> by_member;
    for (const auto& [full_jid, nick] : model) {
        ++by_member[bare_of(full_jid)];
        const auto found = sessions.nick_of(full_jid);
        REQUIRE(found.has_value());
        CHECK(*found == nick);
    }
    for (int m = 0; m < members; ++m) {
        const std::string bare = "member" + std::to_string(m) + "@example.org";
        CHECK(sessions.has_member(bare) == by_member.contains(bare));
    }
    CHECK_FALSE(sessions.has_member("member1@example.or"));
    CHECK_FALSE(sessions.nick_of("member1@example.org").has_value());
    std::map<std::string, int> listed;
    int wrong_hashes = 0;
    sessions.for_each_full_jid([&](std::string_view full_jid, std::uint64_t hash) {
        ++listed[std::string(full_jid)];
        if (hash != offline::text_hash(full_jid)) ++wrong_hashes;
    });
    CHECK(wrong_hashes == 0);
    CHECK(listed.size() == model.size());
    for (const auto& [full_jid, times] : listed) {
        CHECK(times == 1);
        CHECK(model.contains(full_jid));
    }
}

}  // namespace

TEST_CASE("room sessions: random enters, renames and leaves agree with a map") {
    for (unsigned seed : {1u, 2u, 3u}) {
        CAPTURE(seed);
        std::mt19937 random(seed);
        offline::RoomSessions sessions;
        std::map<std::string, std::string> model;
        const int members = 300;
        // Grows towards ~600 sessions, then drains to empty: every index size both ways.
        for (int step = 0; step < 6000; ++step) {
            const bool draining = step >= 4000;
            // Short texts are kept in the session itself, long ones in a block of their own:
            // a long resource or nick moves a session between the two as it is renamed.
            const char* resources[] = {"phone", "desk", "Conversations.laptop-in-the-kitchen"};
            const std::string full_jid = "member" + std::to_string(random() % members) +
                                         "@example.org/" + resources[random() % 3];
            const std::string nick =
                random() % 2 == 0
                    ? ""
                    : std::string(random() % 3 == 0 ? "a-rather-long-nick-" : "nick") +
                          std::to_string(random() % 9);
            switch (draining ? 2u : random() % 4) {
                case 0:
                case 1: {
                    std::string_view kept_nick = "unset";
                    const auto entered = sessions.enter(full_jid, nick, &kept_nick);
                    auto known = model.find(full_jid);
                    if (known == model.end()) {
                        CHECK(entered == offline::RoomSessions::Entered::added);
                        model[full_jid] = nick;
                        CHECK(kept_nick == nick);
                    } else if (nick.empty() || known->second == nick) {
                        CHECK(entered == offline::RoomSessions::Entered::unchanged);
                        CHECK(kept_nick == "unset");
                    } else {
                        CHECK(entered == offline::RoomSessions::Entered::renamed);
                        known->second = nick;
                        CHECK(kept_nick == nick);
                    }
                    break;
                }
                case 2:
                    CHECK(sessions.leave(full_jid) == (model.erase(full_jid) == 1));
                    break;
                default:
                    CHECK(sessions.rename(full_jid, nick) == model.contains(full_jid));
                    if (model.contains(full_jid)) model[full_jid] = nick;
            }
            if (step % 97 == 0) agree(sessions, model, members);
        }
        for (auto it = model.begin(); it != model.end(); it = model.erase(it))
            CHECK(sessions.leave(it->first));
        agree(sessions, model, members);
    }
}

TEST_CASE("room sessions: a member stays present while any of their sessions is there") {
    offline::RoomSessions sessions;
    // Enough others that the member index is searched, not the short list.
    for (int i = 0; i < 20; ++i)
        sessions.enter("other" + std::to_string(i) + "@example.org/x", "o" + std::to_string(i));
    for (const char* resource : {"a", "b", "c"})
        sessions.enter(std::string("alice@example.org/") + resource, resource);
    // The first session indexed for the member leaves first, then the last one added.
    CHECK(sessions.leave("alice@example.org/a"));
    CHECK(sessions.has_member("alice@example.org"));
    CHECK(sessions.leave("alice@example.org/c"));
    CHECK(sessions.has_member("alice@example.org"));
    CHECK(sessions.nick_of("alice@example.org/b") == std::optional<std::string_view>("b"));
    CHECK(sessions.leave("alice@example.org/b"));
    CHECK_FALSE(sessions.has_member("alice@example.org"));
    CHECK_FALSE(sessions.leave("alice@example.org/b"));
    CHECK(sessions.size() == 20);
}

TEST_CASE("room sessions: a session entered with its hash given is the one entered without") {
    using Entered = offline::RoomSessions::Entered;
    offline::RoomSessions sessions;
    for (int i = 0; i < 100; ++i) {
        const std::string jid = "u" + std::to_string(i) + "@localhost/phone";
        // Half of them first entered each way round: the hash given is the one computed.
        if (i % 2 == 0) {
            CHECK(sessions.enter(jid, "n") == Entered::added);
            CHECK(sessions.enter(jid, "", nullptr, offline::text_hash(jid)) == Entered::unchanged);
        } else {
            CHECK(sessions.enter(jid, "n", nullptr, offline::text_hash(jid)) == Entered::added);
            CHECK(sessions.enter(jid, "") == Entered::unchanged);
        }
    }
    CHECK(sessions.size() == 100);
}

TEST_CASE("room sessions: a JID or nick longer than a prepared one can be is not kept") {
    using Entered = offline::RoomSessions::Entered;
    offline::RoomSessions sessions;
    const std::string longest_jid =
        std::string(1023, 'a') + "@" + std::string(1023, 'b') + "/" + std::string(1023, 'c');
    const std::string longest_nick(1023, 'n');
    REQUIRE(longest_jid.size() == offline::RoomSessions::kMaxFullJidBytes);
    CHECK(sessions.enter(longest_jid, longest_nick) == Entered::added);
    CHECK(sessions.nick_of(longest_jid) == std::optional<std::string_view>(longest_nick));
    CHECK(sessions.has_member(std::string(1023, 'a') + "@" + std::string(1023, 'b')));
    // One byte more, in either, is refused; the session kept is as it was.
    CHECK(sessions.enter(longest_jid + "c", "n") == Entered::refused);
    CHECK(sessions.enter(longest_jid, longest_nick + "n") == Entered::refused);
    CHECK_FALSE(sessions.rename(longest_jid, longest_nick + "n"));
    CHECK(sessions.nick_of(longest_jid) == std::optional<std::string_view>(longest_nick));
    CHECK(sessions.size() == 1);
    // A store edited by hand might hold one past what 16 bits count: still refused.
    CHECK(sessions.enter("u@h/" + std::string(70000, 'r'), "n") == Entered::refused);
    CHECK(sessions.size() == 1);
}

TEST_CASE("room sessions: a rename moves a session's text between inline and its own block") {
    offline::RoomSessions sessions;
    const std::string jid = "alice@example.org/Conversations.x7Yq";
    const std::string long_nick(60, 'L');
    sessions.enter(jid, "al");
    for (const std::string& nick :
         {long_nick, std::string("al"), long_nick + "2", std::string("b")}) {
        CHECK(sessions.rename(jid, nick));
        CHECK(sessions.nick_of(jid) == std::optional<std::string_view>(nick));
        CHECK(sessions.has_member("alice@example.org"));
    }
    // Entering again with the nick it has (the session's own text, seen through nick_of).
    const std::string_view kept = *sessions.nick_of(jid);
    CHECK(sessions.enter(jid, kept) == offline::RoomSessions::Entered::unchanged);
}
