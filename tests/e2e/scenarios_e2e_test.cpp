// Issue 5's scenarios, each on both MUCs behind the proxy:
//   * mu-conference (jabber-muc), which has no room registration of its own: the proxy runs in
//     standalone mode and answers the room's jabber:iq:register itself;
//   * Prosody's own MUC as an external component, which keeps registrations (members with a
//     reserved nick): the proxy runs in augment mode and adds the offline field to its form.
// The home server is Prosody with the capable-server module (copies reach bob's online
// resources, or offline storage), except in the bounce scenario, which runs stock Prosody.
//
// bob has two resources: "phone" enters and leaves rooms, "laptop" stays online outside them
// and is where copies (groupchat messages to bob's bare JID) are counted. A "no copy" check
// first syncs the laptop with the MUC: a copy leaves the proxy right behind its broadcast, so
// before the MUC's answer to anything sent later.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "rig/lobby_story.hpp"
#include "rig/muc_actions.hpp"
#include "rig/muc_stanzas.hpp"
#include "rig/needs_the_proxy.hpp"
#include "rig/on_both_mucs.hpp"
#include "rig/proxy_log.hpp"
#include "rig/room_admin.hpp"
#include "rig/stack.hpp"
#include "xmpp/stream_text.hpp"

namespace {

using rig::Client;
using rig::StanzaPattern;
using rig::StanzaRecord;
using xmpp::escape_xml;

struct SceneOptions {
    bool capable_server = true;
    bool allow_unaffiliated_register = true;  // Prosody's MUC only
    std::vector<std::string> extra_users;
};

rig::StackOptions stack_options(rig::MucKind muc, const SceneOptions& scene) {
    rig::StackOptions options = rig::StackOptions::from_env(true);
    options.muc = muc;
    if (muc == rig::MucKind::mu_conference) {
        options.proxy_extra_config = R"("registration":"standalone")";
    }
    options.capable_server = scene.capable_server;
    options.allow_unaffiliated_register = scene.allow_unaffiliated_register;
    options.extra_users = scene.extra_users;
    return options;
}

// One stack, alice as the room's owner and bob with his phone and laptop.
struct Scene {
    Scene(rig::MucKind muc, const std::string& room_name, const SceneOptions& options = {})
        : stack(stack_options(muc, options)),
          alice(stack.login("alice", "desk")),
          phone(stack.login("bob", "phone", "bob-phone")),
          laptop(stack.login("bob", "laptop", "bob-laptop")),
          room(room_name + "@" + stack.muc_domain()) {}

    std::string occupant(const std::string& nick) const { return room + "/" + nick; }

    // bob enters, opts in with his nick and leaves: from now on he is an absent member.
    void bob_opts_in_and_leaves() {
        rig::muc::join_room(stack, phone, room, "bob");
        rig::muc::opt_in(stack, phone, room, "bob");
        rig::muc::leave_room(stack, phone, room, "bob");
    }

    // alice says each line; returns the bodies of the copies bob's laptop got for them.
    std::vector<std::string> copies_of(const std::vector<std::string>& lines) {
        const std::size_t since = laptop.mark();
        for (const std::string& line : lines) rig::muc::say(stack, alice, room, "alice", line);
        rig::sync_with_muc(stack, laptop);
        return bodies(rig::muc::copies_at(laptop, occupant("alice"), since));
    }

    static std::vector<std::string> bodies(const std::vector<StanzaRecord>& stanzas) {
        std::vector<std::string> result;
        for (const StanzaRecord& stanza : stanzas) result.push_back(stanza.body);
        return result;
    }

    rig::Stack stack;
    Client& alice;
    Client& phone;
    Client& laptop;
    std::string room;
};

using Lines = std::vector<std::string>;

void require_result(const StanzaRecord& answer, const std::string& what) {
    INFO(what << " was answered with " << answer.xml);
    REQUIRE(answer.type == "result");
}

// --- the scenarios ---------------------------------------------------------------------------

void opt_in_then_leave(rig::MucKind muc) {
    Scene scene(muc, "away");
    INFO(rig::LogTails{scene.stack});
    rig::muc::create_instant_room(scene.stack, scene.alice, scene.room, "alice");
    scene.bob_opts_in_and_leaves();

    const std::size_t away = scene.laptop.mark();
    CHECK(scene.copies_of({"Are you there, bob?", "Lunch at noon."}) ==
          Lines{"Are you there, bob?", "Lunch at noon."});
    for (const StanzaRecord& copy :
         rig::muc::copies_at(scene.laptop, scene.occupant("alice"), away)) {
        CHECK(copy.type == "groupchat");
        CHECK(copy.to == "bob@localhost");
        CHECK_FALSE(copy.has_delay);  // delivered live, not from offline storage
    }

    rig::muc::join_room(scene.stack, scene.phone, scene.room, "bob");
    const std::size_t phone_back = scene.phone.mark();
    CHECK(scene.copies_of({"Welcome back."}).empty());
    StanzaRecord in_room = scene.stack.expect(scene.phone,
                                              StanzaPattern::message()
                                                  .type("groupchat")
                                                  .from(scene.occupant("alice"))
                                                  .body("Welcome back."),
                                              phone_back);
    CHECK(in_room.to == scene.phone.jid());
}

void present_member_gets_no_copy(rig::MucKind muc) {
    Scene scene(muc, "present");
    INFO(rig::LogTails{scene.stack});
    rig::muc::create_instant_room(scene.stack, scene.alice, scene.room, "alice");
    rig::muc::join_room(scene.stack, scene.phone, scene.room, "bob");
    rig::muc::opt_in(scene.stack, scene.phone, scene.room, "bob");

    const std::size_t phone_since = scene.phone.mark();
    CHECK(scene.copies_of({"You are here, no copy."}).empty());
    scene.stack.expect(scene.phone,
                       StanzaPattern::message()
                           .type("groupchat")
                           .from(scene.occupant("alice"))
                           .body("You are here, no copy."),
                       phone_since);
}

// Present is "any of the member's resources in the room, under any nick".
void two_resources_in_the_room(rig::MucKind muc) {
    Scene scene(muc, "resources");
    INFO(rig::LogTails{scene.stack});
    Client& tablet = scene.stack.login("bob", "tablet", "bob-tablet");
    rig::muc::create_instant_room(scene.stack, scene.alice, scene.room, "alice");
    rig::muc::join_room(scene.stack, scene.phone, scene.room, "bob");
    rig::muc::join_room(scene.stack, tablet, scene.room, "bob-on-tablet");
    rig::muc::opt_in(scene.stack, scene.phone, scene.room, "bob");

    rig::muc::leave_room(scene.stack, scene.phone, scene.room, "bob");
    CHECK(scene.copies_of({"The tablet is still here."}).empty());

    rig::muc::leave_room(scene.stack, tablet, scene.room, "bob-on-tablet");
    CHECK(scene.copies_of({"Now nobody is."}) == Lines{"Now nobody is."});
}

void opt_out(rig::MucKind muc) {
    Scene scene(muc, "optout");
    INFO(rig::LogTails{scene.stack});
    rig::muc::create_instant_room(scene.stack, scene.alice, scene.room, "alice");
    scene.bob_opts_in_and_leaves();
    CHECK(scene.copies_of({"Still subscribed."}) == Lines{"Still subscribed."});

    rig::muc::join_room(scene.stack, scene.phone, scene.room, "bob");
    require_result(
        rig::muc::submit_registration(scene.stack, scene.phone, scene.room, "bob", "false"),
        "bob's opt-out");
    rig::muc::leave_room(scene.stack, scene.phone, scene.room, "bob");
    CHECK(scene.copies_of({"Opted out: no copy."}).empty());
}

void remove_registration(rig::MucKind muc) {
    Scene scene(muc, "remove");
    INFO(rig::LogTails{scene.stack});
    rig::muc::create_instant_room(scene.stack, scene.alice, scene.room, "alice");
    scene.bob_opts_in_and_leaves();
    CHECK(scene.copies_of({"Before the remove."}) == Lines{"Before the remove."});

    // From outside the room: a member can cancel without entering.
    require_result(rig::muc::remove_registration(scene.stack, scene.laptop, scene.room),
                   "bob's <remove/>");
    CHECK(scene.copies_of({"After the remove."}).empty());
}

void affiliation(rig::MucKind muc, const std::string& new_affiliation) {
    Scene scene(muc, "affiliation-" + new_affiliation);
    INFO(rig::LogTails{scene.stack});
    rig::muc::create_instant_room(scene.stack, scene.alice, scene.room, "alice");
    scene.bob_opts_in_and_leaves();
    CHECK(scene.copies_of({"Before the change."}) == Lines{"Before the change."});

    require_result(rig::muc::set_affiliation(scene.stack, scene.alice, scene.room, "bob@localhost",
                                             new_affiliation),
                   "alice's affiliation " + new_affiliation + " for bob");
    CHECK(scene.copies_of({"After the change."}).empty());
    if (new_affiliation == "outcast") {  // and the MUC keeps him out (§9.1)
        const std::size_t since = scene.phone.mark();
        scene.phone.send(rig::muc::join(scene.occupant("bob"), scene.phone.next_id("banned")));
        StanzaRecord refused = scene.stack.expect(
            scene.phone, StanzaPattern::presence().type("error").from(scene.occupant("bob")),
            since);
        CHECK(refused.error_condition == "forbidden");
    }
}

void affiliation_none(rig::MucKind muc) {
    affiliation(muc, "none");
}
void affiliation_outcast(rig::MucKind muc) {
    affiliation(muc, "outcast");
}

void room_destroyed(rig::MucKind muc) {
    Scene scene(muc, "destroyed");
    INFO(rig::LogTails{scene.stack});
    rig::muc::create_instant_room(scene.stack, scene.alice, scene.room, "alice");
    scene.bob_opts_in_and_leaves();
    CHECK(scene.copies_of({"Before the end."}) == Lines{"Before the end."});

    require_result(rig::muc::destroy_room(scene.stack, scene.alice, scene.room), "the destroy");
    // A new room under the old name starts with no members.
    rig::muc::create_instant_room(scene.stack, scene.alice, scene.room, "alice");
    CHECK(scene.copies_of({"A new room."}).empty());
}

void nick_change(rig::MucKind muc) {
    Scene scene(muc, "nick");
    INFO(rig::LogTails{scene.stack});
    rig::muc::create_instant_room(scene.stack, scene.alice, scene.room, "alice");
    rig::muc::join_room(scene.stack, scene.phone, scene.room, "bob");
    rig::muc::opt_in(scene.stack, scene.phone, scene.room, "bob");
    rig::muc::change_nick(scene.stack, scene.phone, scene.room, "bobby");
    CHECK(scene.copies_of({"bob is here as bobby."}).empty());

    rig::muc::leave_room(scene.stack, scene.phone, scene.room, "bobby");
    CHECK(scene.copies_of({"bobby has left."}) == Lines{"bobby has left."});
}

// Which messages are copied: those the room would keep in its history.
void kinds_of_messages(rig::MucKind muc) {
    Scene scene(muc, "kinds");
    INFO(rig::LogTails{scene.stack});
    rig::Stack& stack = scene.stack;
    Client& alice = scene.alice;
    Client& carol = stack.login("carol", "desk");
    rig::muc::create_instant_room(stack, alice, scene.room, "alice");
    rig::muc::join_room(stack, carol, scene.room, "carol");
    scene.bob_opts_in_and_leaves();
    const std::string room = escape_xml(scene.room);
    const std::size_t since = scene.laptop.mark();
    const std::size_t carol_since = carol.mark();

    alice.send("<message type='groupchat' to='" + room + "' id='" + alice.next_id("subject") +
               "'><subject>Kinds of messages</subject></message>");
    alice.send("<message type='groupchat' to='" + room + "' id='" + alice.next_id("state") +
               "'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
    alice.send("<message type='chat' to='" + escape_xml(scene.occupant("carol")) + "' id='" +
               alice.next_id("pm") + "'><body>Just for carol.</body></message>");
    alice.send("<message type='groupchat' to='" + room + "'><body>No id.</body></message>");
    alice.send("<message type='groupchat' to='" + room + "' id='" + alice.next_id("origin") +
               "'><body>With an origin-id.</body>"
               "<origin-id xmlns='urn:xmpp:sid:0' id='origin-42'/></message>");
    rig::muc::say(stack, alice, scene.room, "alice", "The last one.");
    stack.expect(carol, StanzaPattern::message().type("groupchat").body("The last one."),
                 carol_since);
    rig::sync_with_muc(stack, scene.laptop);

    std::vector<StanzaRecord> copies =
        rig::muc::copies_at(scene.laptop, scene.occupant("alice"), since);
    CHECK(Scene::bodies(copies) == Lines{"No id.", "With an origin-id.", "The last one."});
    // The copy is the broadcast: whatever the MUC kept of the origin-id, carol's has it too.
    for (const StanzaRecord& copy : copies) {
        if (copy.body != "With an origin-id.") continue;
        for (std::size_t i = carol_since; i < carol.received().size(); ++i) {
            const StanzaRecord& seen = carol.received()[i];
            if (seen.type == "groupchat" && seen.body == copy.body) {
                CHECK((seen.xml.find("origin-42") != std::string::npos) ==
                      (copy.xml.find("origin-42") != std::string::npos));
            }
        }
    }
    // The private message reached carol, and only carol.
    stack.expect(carol, StanzaPattern::message().type("chat").body("Just for carol."), carol_since);
    for (std::size_t i = since; i < scene.laptop.received().size(); ++i) {
        CHECK(scene.laptop.received()[i].body != "Just for carol.");
    }
}

// 50 members opt in; every third stays in the room. Each absent member gets each message once,
// at the resource they left with; nobody present gets a copy.
void many_members(rig::MucKind muc) {
    constexpr int kMembers = 50;
    SceneOptions options;
    for (int i = 1; i <= kMembers; ++i) options.extra_users.push_back("m" + std::to_string(i));
    Scene scene(muc, "crowd", options);
    INFO(rig::LogTails{scene.stack});
    rig::muc::create_instant_room(scene.stack, scene.alice, scene.room, "alice");
    // One at a time: mu-conference's rooms hold 30 occupants by default.
    std::vector<Client*> members;
    for (int i = 0; i < kMembers; ++i) {
        const std::string& user = options.extra_users[i];
        Client& member = scene.stack.login(user, "phone");
        rig::muc::join_room(scene.stack, member, scene.room, user);
        rig::muc::opt_in(scene.stack, member, scene.room, user);
        if (i % 3 != 0) rig::muc::leave_room(scene.stack, member, scene.room, user);
        members.push_back(&member);
    }
    std::vector<std::size_t> since;
    for (Client* member : members) since.push_back(member->mark());
    rig::muc::say(scene.stack, scene.alice, scene.room, "alice", "Hello, crowd.");
    rig::muc::say(scene.stack, scene.alice, scene.room, "alice", "Second call.");
    const Lines both{"Hello, crowd.", "Second call."};

    auto copies = [&](int i) {
        return Scene::bodies(rig::muc::copies_at(*members[i], scene.occupant("alice"), since[i]));
    };
    scene.stack.wait_until(
        [&] {
            for (int i = 0; i < kMembers; ++i) {
                if (i % 3 != 0 && copies(i).size() < both.size()) return false;
            }
            return true;
        },
        "two copies at each absent member");
    for (Client* member : members) rig::sync_with_muc(scene.stack, *member);
    int absent = 0;
    for (int i = 0; i < kMembers; ++i) {
        INFO("member " << options.extra_users[i]);
        if (i % 3 != 0) {
            ++absent;
            CHECK(copies(i) == both);
        } else {
            CHECK(copies(i).empty());
        }
    }
    CHECK(absent == 33);
}

// bob is offline altogether: the capable server stores the copies (mod_offline) and hands them
// over, marked as delayed, when he logs in.
void stored_until_online(rig::MucKind muc) {
    Scene scene(muc, "stored");
    INFO(rig::LogTails{scene.stack});
    rig::muc::create_instant_room(scene.stack, scene.alice, scene.room, "alice");
    scene.bob_opts_in_and_leaves();
    scene.stack.logout(scene.laptop);
    scene.stack.logout(scene.phone);

    rig::muc::say(scene.stack, scene.alice, scene.room, "alice", "Read this when you are back.");
    rig::muc::say(scene.stack, scene.alice, scene.room, "alice", "And this.");
    rig::sync_with_muc(scene.stack, scene.alice);  // the copies went out before this answer
    Client& later = scene.stack.login("bob", "later", "bob-later");
    scene.stack.wait_until(
        [&] { return rig::muc::copies_at(later, scene.occupant("alice")).size() >= 2; },
        "two stored copies at bob's new session");
    std::vector<StanzaRecord> stored = rig::muc::copies_at(later, scene.occupant("alice"));
    CHECK(Scene::bodies(stored) == Lines{"Read this when you are back.", "And this."});
    for (const StanzaRecord& copy : stored) CHECK(copy.has_delay);  // XEP-0203: from storage
}

// Stock Prosody bounces a groupchat message to a bare JID (RFC 6121 §8.5.2.1.1). The proxy
// swallows those bounces: the MUC never sees them, so it neither kicks the author nor errs.
void bounces_with_a_stock_server(rig::MucKind muc) {
    SceneOptions options;
    options.capable_server = false;
    Scene scene(muc, "bounce", options);
    INFO(rig::LogTails{scene.stack});
    Client& carol = scene.stack.login("carol", "desk");
    rig::muc::create_instant_room(scene.stack, scene.alice, scene.room, "alice");
    rig::muc::join_room(scene.stack, carol, scene.room, "carol");
    scene.bob_opts_in_and_leaves();

    CHECK(scene.copies_of({"First, bounced.", "Second, bounced."}).empty());
    rig::sync_with_muc(scene.stack, scene.alice);  // the bounces reached the proxy before this

    rig::muc::join_room(scene.stack, scene.phone, scene.room, "bob");
    const std::size_t carol_since = carol.mark();
    rig::muc::say(scene.stack, scene.alice, scene.room, "alice", "The room still works.");
    scene.stack.expect(carol, StanzaPattern::message().body("The room still works."), carol_since);
    for (Client* client : {&scene.alice, &carol, &scene.phone}) {
        for (const StanzaRecord& stanza : client->received()) {
            INFO(client->label() << " got " << stanza.xml);
            CHECK_FALSE((stanza.name == "message" && stanza.type == "error"));
        }
    }

    scene.stack.stop_proxy(rig::StopHow::sigterm);
    rig::ProxyCounters counters =
        rig::last_logged_counters(scene.stack.proxy()->process().log_path());
    REQUIRE(counters.found);
    CHECK(scene.stack.proxy()->process().state() == "exited with code 0");
    CHECK(counters.copies_sent == 2);
    CHECK(counters.bounces_swallowed == 2);
}

// Prosody's default (allow_unaffiliated_register = false): only affiliated users may register.
// The refusal passes through untouched and registers nothing; once alice makes bob a member,
// he can opt in.
void registration_required(rig::MucKind muc) {
    SceneOptions options;
    options.allow_unaffiliated_register = false;
    Scene scene(muc, "members", options);
    INFO(rig::LogTails{scene.stack});
    rig::muc::create_instant_room(scene.stack, scene.alice, scene.room, "alice");
    rig::muc::join_room(scene.stack, scene.phone, scene.room, "bob");

    StanzaRecord form = rig::muc::get_registration_form(scene.stack, scene.phone, scene.room);
    CHECK(form.error_condition == "registration-required");
    StanzaRecord submit =
        rig::muc::submit_registration(scene.stack, scene.phone, scene.room, "bob", "true");
    CHECK(submit.error_condition == "registration-required");
    rig::muc::leave_room(scene.stack, scene.phone, scene.room, "bob");
    CHECK(scene.copies_of({"bob is not registered."}).empty());

    require_result(
        rig::muc::set_affiliation(scene.stack, scene.alice, scene.room, "bob@localhost", "member"),
        "alice making bob a member");
    rig::muc::opt_in(scene.stack, scene.laptop, scene.room, "bob");
    CHECK(scene.copies_of({"bob is a member now."}) == Lines{"bob is a member now."});
}

}  // namespace

ON_BOTH_MUCS("scenario: opt in then leave, copies until back", opt_in_then_leave)
ON_BOTH_MUCS("scenario: present, no copy", present_member_gets_no_copy)
ON_BOTH_MUCS("scenario: two resources, copies once neither is in", two_resources_in_the_room)
ON_BOTH_MUCS("scenario: opt out", opt_out)
ON_BOTH_MUCS("scenario: <remove/>", remove_registration)
ON_BOTH_MUCS("scenario: affiliation none", affiliation_none)
ON_BOTH_MUCS("scenario: affiliation outcast", affiliation_outcast)
ON_BOTH_MUCS("scenario: room destroyed", room_destroyed)
ON_BOTH_MUCS("scenario: nick change", nick_change)
ON_BOTH_MUCS("scenario: kinds of messages", kinds_of_messages)
ON_BOTH_MUCS("scenario: 50 members, present and absent", many_members)
ON_BOTH_MUCS("scenario: offline member gets stored copies later", stored_until_online)
ON_BOTH_MUCS("scenario: stock server, bounces swallowed", bounces_with_a_stock_server)

// mu-conference has no registration of its own (standalone mode answers for it).
TEST_CASE("scenario: registration-required until a member [Prosody's MUC]" *
          rig::needs_the_proxy()) {
    registration_required(rig::MucKind::prosody);
}
