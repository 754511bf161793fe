// The bounce tracker's bookkeeping on its own: which errors answer a copy, which copies count
// as delivered when their TTL ends, and what the limit on tracked copies forgets.
#include <doctest/doctest.h>

#include <deque>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "offline/bounces.hpp"
#include "offline/packed_members.hpp"

namespace {

using std::chrono::milliseconds;

xmpp::Moment at_ms(long ms) {
    return std::chrono::duration_cast<xmpp::Moment>(milliseconds(ms));
}

std::vector<std::string> expire(offline::BounceTracker& tracker, long ms) {
    std::vector<std::string> delivered;
    tracker.expire(at_ms(ms), [&](std::string_view member) { delivered.emplace_back(member); });
    return delivered;
}

}  // namespace

TEST_CASE("packed members: found by binary search, late ones by a scan, duplicates apart") {
    offline::PackedMembers members;
    CHECK_FALSE(members.contains("a@x"));
    for (const char* m : {"a@x", "b@x", "b@x", "d@x"}) {
        CHECK(members.keeps_ascending(m));
        members.add(m);
    }
    CHECK_FALSE(members.keeps_ascending("c@x"));
    CHECK(members.add("c@x") == 4);               // a late member, out of order
    CHECK_FALSE(members.keeps_ascending("e@x"));  // once out of order, never one run again
    members.add("e@x");
    REQUIRE(members.size() == 6);
    for (const char* m : {"a@x", "b@x", "c@x", "d@x", "e@x"}) CHECK(members.contains(m));
    CHECK_FALSE(members.contains("b@"));
    CHECK_FALSE(members.contains("bb@x"));
    CHECK_FALSE(members.contains(""));
    // Equal members are told apart by the caller's test.
    CHECK(members.find("b@x", [](std::size_t) { return true; }) == 1);
    CHECK(members.find("b@x", [](std::size_t i) { return i != 1; }) == 2);
    CHECK(members.find("b@x", [](std::size_t) { return false; }) == offline::PackedMembers::npos);
    CHECK(members.at(4) == "c@x");
    CHECK(members.at(1) == "b@x");
    members.clear();
    CHECK(members.empty());
    CHECK_FALSE(members.contains("a@x"));
    CHECK(members.keeps_ascending("z@x"));
}

TEST_CASE("packed members: the common start of two sets, member by member") {
    const auto packed = [](std::vector<const char*> members) {
        offline::PackedMembers set;
        for (const char* m : members) set.add(m);
        return set;
    };
    const offline::PackedMembers abc = packed({"a@x", "b@x", "c@x"});
    CHECK(abc.common_prefix(abc) == 3);
    CHECK(abc.common_prefix(packed({"a@x", "b@x"})) == 2);
    CHECK(packed({"a@x", "b@x"}).common_prefix(abc) == 2);
    CHECK(abc.common_prefix(packed({"a@x", "bb@x", "c@x"})) == 1);
    CHECK(abc.common_prefix(packed({})) == 0);
    CHECK(abc.common_prefix(packed({"z@x"})) == 0);
    // The same bytes cut into other members are other members.
    CHECK(packed({"ab", "c"}).common_prefix(packed({"a", "bc"})) == 0);
    CHECK(packed({"x", "ab", "c"}).common_prefix(packed({"x", "a", "bc"})) == 1);
}

TEST_CASE("bounce tracker: an error answers one copy, once; the others count as delivered") {
    offline::BounceTracker tracker(milliseconds(1000), 100);
    for (const char* m : {"a@x", "b@x", "c@x"}) tracker.sent(m, "m1", at_ms(0));
    CHECK(tracker.tracked() == 3);
    CHECK(tracker.take_bounce("b@x", "m1"));
    CHECK_FALSE(tracker.take_bounce("b@x", "m1"));  // a second error for the same copy
    CHECK_FALSE(tracker.take_bounce("d@x", "m1"));  // never sent to
    CHECK_FALSE(tracker.take_bounce("a@x", "m2"));  // another message
    CHECK(expire(tracker, 1000).empty());           // not past the TTL yet
    CHECK(expire(tracker, 1001) == std::vector<std::string>{"a@x", "c@x"});
    CHECK(tracker.tracked() == 0);
    CHECK_FALSE(tracker.take_bounce("a@x", "m1"));  // too late
    CHECK(tracker.forgotten() == 0);
}

TEST_CASE("bounce tracker: messages sharing an id, late copies, a TTL changed on the way") {
    offline::BounceTracker tracker(milliseconds(1000), 100);
    tracker.sent("a@x", "", at_ms(0));
    tracker.sent("b@x", "", at_ms(0));
    tracker.sent("a@x", "", at_ms(0));  // the next message, same moment, no id either
    tracker.sent("a@x", "", at_ms(500));
    tracker.sent("c@x", "m9", at_ms(500));
    tracker.sent("b@x", "m9", at_ms(600));  // a late copy of m9
    CHECK(tracker.tracked() == 6);
    // The newest copy answers first.
    CHECK(tracker.take_bounce("a@x", ""));
    CHECK(tracker.take_bounce("b@x", "m9"));
    CHECK(tracker.take_bounce("c@x", "m9"));
    CHECK_FALSE(tracker.take_bounce("c@x", "m9"));
    CHECK(expire(tracker, 1001) == std::vector<std::string>{"a@x", "b@x", "a@x"});
    CHECK(tracker.take_bounce("a@x", "") == false);  // the answered one at 500 is all that is left
    tracker.set_ttl(milliseconds(10));
    CHECK(expire(tracker, 611).empty());  // all answered
    CHECK(tracker.tracked() == 0);
}

TEST_CASE("bounce tracker: past the limit the oldest copies are forgotten first") {
    offline::BounceTracker tracker(milliseconds(1000), 4);
    tracker.sent("a@x", "m1", at_ms(0));
    tracker.sent("b@x", "m1", at_ms(0));
    tracker.sent("a@x", "m2", at_ms(10));
    tracker.sent("b@x", "m2", at_ms(10));
    CHECK(tracker.take_bounce("b@x", "m1"));
    tracker.sent("a@x", "m3", at_ms(20));  // over the limit: m1 goes (one copy still open)
    CHECK(tracker.tracked() == 3);
    CHECK(tracker.forgotten() == 1);
    CHECK_FALSE(tracker.take_bounce("a@x", "m1"));  // forgotten: the error goes to the MUC
    CHECK(tracker.take_bounce("a@x", "m2"));
    // A fan-out larger than the limit keeps its first copies; the rest go out untracked.
    tracker.sent("a@x", "m4", at_ms(30));  // room for it
    CHECK(tracker.forgotten() == 1);
    // m2 (b@x still open), then m3 (a@x open) make room; e@x finds only m4 itself.
    for (const char* m : {"b@x", "c@x", "d@x", "e@x"}) tracker.sent(m, "m4", at_ms(30));
    CHECK(tracker.tracked() == 4);
    CHECK(tracker.forgotten() == 1 + 1 + 1 + 1);
    CHECK(tracker.take_bounce("d@x", "m4"));
    CHECK_FALSE(tracker.take_bounce("e@x", "m4"));
    // Forgotten copies do not count as delivered either.
    CHECK(expire(tracker, 2000) == std::vector<std::string>{"a@x", "b@x", "c@x"});
    // A lower limit applies from the next copy; 0 tracks nothing.
    tracker.set_max_copies(0);
    tracker.sent("a@x", "m5", at_ms(2000));
    CHECK(tracker.tracked() == 0);
    CHECK_FALSE(tracker.take_bounce("a@x", "m5"));
    CHECK(tracker.forgotten() == 5);
}

TEST_CASE("bounce tracker: fan-outs to the same members share one list and still answer apart") {
    offline::BounceTracker tracker(milliseconds(1000), 100);
    const auto fan_out = [&](const char* id, long ms, std::vector<const char*> members) {
        for (const char* m : members) tracker.sent(m, id, at_ms(ms));
    };
    fan_out("A", 0, {"a@x", "b@x", "c@x"});
    fan_out("B", 1, {"a@x", "b@x", "c@x"});         // the same members: A's list
    fan_out("C", 2, {"a@x", "c@x"});                // parts at the second: a list of its own
    fan_out("D", 3, {"a@x", "b@x", "c@x", "d@x"});  // follows C's list, then parts
    fan_out("E", 4, {"a@x"});                       // a prefix of D's
    CHECK(tracker.tracked() == 13);
    CHECK(tracker.take_bounce("b@x", "A"));
    CHECK_FALSE(tracker.take_bounce("b@x", "A"));  // answered once only
    CHECK(tracker.take_bounce("b@x", "B"));        // B's own answer, though the list is A's
    CHECK_FALSE(tracker.take_bounce("b@x", "C"));
    CHECK(tracker.take_bounce("c@x", "C"));
    CHECK(tracker.take_bounce("d@x", "D"));
    CHECK_FALSE(tracker.take_bounce("b@x", "E"));  // past E's share of the list
    CHECK_FALSE(tracker.take_bounce("d@x", "E"));
    // What drew no error counts as delivered, for each fan-out its own members: A and B at
    // 1002 ms, then C, D and E.
    CHECK(expire(tracker, 1002) == std::vector<std::string>{"a@x", "c@x", "a@x", "c@x"});
    CHECK(expire(tracker, 1010) == std::vector<std::string>{"a@x", "a@x", "b@x", "c@x", "a@x"});
    CHECK(tracker.tracked() == 0);
}

TEST_CASE("bounce tracker: a long run against a model, over many chunks of records and ids") {
    // One fan-out a millisecond, ids repeating now and then (as a MUC without ids sends ""),
    // the TTL and the limit both dropping the oldest; an error for a random recent copy after
    // each fan-out, and for one just opened (its index entry made on the way).
    offline::BounceTracker tracker(milliseconds(3000), 6000);
    struct Copy {
        long at;
        std::string id;
        std::string member;
        bool answered = false;
    };
    std::deque<Copy> model;  // oldest first, as tracked
    std::mt19937 random(3);
    std::size_t answered = 0;
    const auto model_take = [&](const std::string& member, const std::string& id) {
        for (auto copy = model.rbegin(); copy != model.rend(); ++copy) {
            if (!copy->answered && copy->id == id && copy->member == member) {
                copy->answered = true;
                return true;
            }
        }
        return false;
    };
    for (long ms = 0; ms < 20000; ++ms) {
        const std::string id = random() % 7 == 0 ? "same" : "id-" + std::to_string(ms);
        const std::size_t members = 1 + random() % 4;
        std::vector<std::string> delivered;
        tracker.expire(at_ms(ms), [&](std::string_view m) { delivered.emplace_back(m); });
        std::vector<std::string> expected;
        while (!model.empty() && ms - model.front().at > 3000) {
            if (!model.front().answered) expected.push_back(model.front().member);
            model.pop_front();
        }
        REQUIRE(delivered == expected);
        for (std::size_t m = 0; m < members; ++m) {
            const std::string member = "m" + std::to_string(m) + "@x";
            tracker.sent(member, id, at_ms(ms));
            model.push_back({ms, id, member});
        }
        // The limit: whole fan-outs go, oldest first (never the newest one here).
        while (model.size() > 6000) {
            const long oldest = model.front().at;
            while (model.front().at == oldest) model.pop_front();
        }
        REQUIRE(tracker.tracked() == model.size());
        const Copy& recent =
            model[model.size() - 1 - random() % std::min<std::size_t>(model.size(), 50)];
        const std::string member = recent.member, recent_id = recent.id;
        const bool expect = model_take(member, recent_id);
        REQUIRE(tracker.take_bounce(member, recent_id) == expect);
        answered += expect;
        if (ms % 13 == 0) {
            const Copy& old = model[random() % model.size()];
            const std::string old_member = old.member, old_id = old.id;
            REQUIRE(tracker.take_bounce(old_member, old_id) == model_take(old_member, old_id));
        }
    }
    CHECK(answered > 10000);
    CHECK(tracker.forgotten() > 0);
}

TEST_CASE("bounce tracker: a fan-out's copies sent at once come out as sent one by one") {
    // Two trackers, one told of each copy, one of each fan-out's copies together, must answer
    // every bounce, expiry and count alike: lists shared, extended and parted, ids repeated
    // within a millisecond (the newest fan-out goes on), a fan-out larger than the limit, the
    // limit lowered to zero and raised again.
    offline::BounceTracker one_by_one(milliseconds(40), 16);
    offline::BounceTracker together(milliseconds(40), 16);
    std::mt19937 random(11);
    std::vector<std::string> pool;
    for (int m = 0; m < 24; ++m) pool.push_back("member" + std::to_string(100 + m) + "@x");
    std::vector<std::string> last = {pool[0], pool[1], pool[2]};
    std::vector<std::pair<std::string, std::string>> sent;  // (member, id), to bounce later
    std::size_t delivered_by_ttl = 0;
    for (long ms = 0; ms < 6000; ++ms) {
        // The limit binds, then tracks nothing, binds again, and at last leaves it to the TTL
        // (the copies of 40 ms are some hundreds), which reports the unanswered as delivered.
        if (ms == 2000 || ms == 2100 || ms == 4000) {
            const std::size_t limit = ms == 2000 ? 0 : ms == 2100 ? 16 : 1000;
            one_by_one.set_max_copies(limit);
            together.set_max_copies(limit);
        }
        const std::vector<std::string> delivered = expire(together, ms);
        REQUIRE(expire(one_by_one, ms) == delivered);
        delivered_by_ttl += delivered.size();
        // The members: the last fan-out's, a prefix of it, it and more, or new ones.
        std::vector<std::string> members;
        const unsigned shape = random() % 5;
        if (shape == 0) {
            members = last;
        } else if (shape == 1) {
            members.assign(last.begin(),
                           last.begin() + static_cast<long>(random() % (last.size() + 1)));
        } else {
            std::vector<bool> chosen(pool.size());
            if (shape == 2) {
                for (const std::string& m : last)
                    chosen[static_cast<std::size_t>(std::stoi(m.substr(6, 3)) - 100)] = true;
            }
            const std::size_t extra = shape == 4 ? 40 : random() % 6;  // 40: past the limit, mostly
            for (std::size_t e = 0; e < extra; ++e) chosen[random() % pool.size()] = true;
            for (std::size_t m = 0; m < pool.size(); ++m) {
                if (chosen[m]) members.push_back(pool[m]);
            }
        }
        if (!members.empty()) last = members;
        offline::PackedMembers list;
        for (const std::string& m : members) list.add(m);
        const std::string id = random() % 5 == 0 ? "same" : "id-" + std::to_string(ms);
        // Now and then the same message twice in one millisecond: the newest fan-out goes on.
        for (int twice = random() % 3 == 0 ? 2 : 1; twice > 0; --twice) {
            for (const std::string& m : members) one_by_one.sent(m, id, at_ms(ms));
            together.sent_all(list, id, at_ms(ms));
            for (const std::string& m : members) sent.emplace_back(m, id);
        }
        REQUIRE(one_by_one.tracked() == together.tracked());
        REQUIRE(one_by_one.forgotten() == together.forgotten());
        for (int b = 0; b < 3 && !sent.empty(); ++b) {
            const auto& [member, bounced_id] =
                sent[sent.size() - 1 - random() % std::min<std::size_t>(sent.size(), 200)];
            REQUIRE(one_by_one.take_bounce(member, bounced_id) ==
                    together.take_bounce(member, bounced_id));
        }
        if (sent.size() > 4000) sent.erase(sent.begin(), sent.begin() + 2000);
    }
    CHECK(together.forgotten() > 0);
    CHECK(delivered_by_ttl > 1000);
}
