// `make demo`: offline delivery on a real component link, told as a story in two acts.
// Act 1 starts Prosody (with a module that delivers groupchat messages sent to a bare JID, as
// a capable server does), the proxy (standalone registration) and mu-conference on free
// loopback ports. bob opts in from his phone and leaves the room; alice writes; bob's laptop,
// which never joined, receives the copies; bob's phone rejoins and the copies stop.
// Act 2 runs a stock Prosody, which refuses such copies, and the proxy with
// offline.delivery "notice": bob opts in, leaves and goes offline; alice writes three times;
// bob logs in later and reads two notices from offline storage, the second one "2 new
// messages in lunch...". Prints what each client sent and got, where the proxy sat and its
// counters. Exits non-zero if any step failed.
//
//   build/demo [--proxy PATH]     (or MUC_OFFLINE_PROXY=PATH; E2E_RELAY=socat for a plain relay)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../rig/lobby_story.hpp"
#include "../rig/muc_actions.hpp"
#include "../rig/plain_words.hpp"
#include "../rig/room_admin.hpp"
#include "../rig/stack.hpp"

namespace {

void usage(std::ostream& out) {
    out << "usage: demo [--proxy PATH]\n"
           "  Runs Prosody, muc-offline-proxy and mu-conference on loopback and tells a short\n"
           "  room conversation through the proxy.\n"
           "  --proxy PATH   the proxy binary (default: $MUC_OFFLINE_PROXY, else\n"
           "                 build/muc-offline-proxy)\n"
           "  environment: E2E_RELAY=socat uses a socat relay instead of the proxy;\n"
           "               E2E_KEEP=1 keeps the temp dir with every config and log.\n";
}

// The clients' stanzas from `after_t` seconds on.
void print_transcript(const rig::Stack& stack, double after_t = -1) {
    std::vector<const rig::StanzaRecord*> all;
    for (const rig::Client* client : stack.clients()) {
        for (const auto& stanza : client->sent()) all.push_back(&stanza);
        for (const auto& stanza : client->received()) all.push_back(&stanza);
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const auto* a, const auto* b) { return a->t < b->t; });
    for (const rig::StanzaRecord* stanza : all) {
        if (stanza->t > after_t)
            std::cout << "  " << rig::in_plain_words(*stanza, stack.muc_domain()) << "\n";
    }
}

// Act 2 (stock server, notices). Prints the transcript up to bob going offline, then, once he
// has read the notices, the rest (his first client is gone by then).
void play_notice_story(rig::Stack& stack, const std::string& room) {
    rig::Client& alice = stack.login("alice", "desk");
    rig::Client& phone = stack.login("bob", "phone", "bob's phone");
    rig::muc::create_instant_room(stack, alice, room, "alice");
    rig::muc::join_room(stack, phone, room, "bob");
    rig::muc::opt_in(stack, phone, room, "bob");
    rig::muc::leave_room(stack, phone, room, "bob");
    rig::sync_with_muc(stack, phone);
    print_transcript(stack);
    const double offline_at = rig::seconds_since(stack.epoch());
    std::cout << "  (bob's phone goes offline)\n";
    stack.logout(phone);
    rig::muc::say(stack, alice, room, "alice", "Pizza or sushi?");
    rig::muc::say(stack, alice, room, "alice", "Sushi it is.");
    // Past offline.notice.min_interval_s (2 s here): the next message notifies again, for both.
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    rig::muc::say(stack, alice, room, "alice", "Table booked for noon.");
    rig::sync_with_muc(stack, alice);
    rig::Client& back = stack.login("bob", "phone", "bob's phone");
    const auto notice = [&](const std::string& body) {
        stack.expect(back, rig::StanzaPattern::message().type("chat").from(room).body(body));
    };
    notice("alice in " + room + ": Pizza or sushi?");
    notice("2 new messages in " + room + ", last from alice: Table booked for noon.");
    print_transcript(stack, offline_at);
}

void play_offline_story(rig::Stack& stack, const std::string& room) {
    rig::Client& alice = stack.login("alice", "desk");
    rig::Client& phone = stack.login("bob", "phone", "bob's phone");
    rig::Client& laptop = stack.login("bob", "laptop", "bob's laptop");
    const std::string from_alice = room + "/alice";
    rig::muc::create_instant_room(stack, alice, room, "alice");
    rig::muc::join_room(stack, phone, room, "bob");
    rig::muc::opt_in(stack, phone, room, "bob");
    rig::muc::leave_room(stack, phone, room, "bob");
    const std::size_t away = laptop.mark();
    rig::muc::say(stack, alice, room, "alice", "Are you there, bob?");
    rig::muc::say(stack, alice, room, "alice", "Lunch at noon.");
    stack.wait_until([&] { return rig::muc::copies_at(laptop, from_alice, away).size() == 2; },
                     "both copies at bob's laptop");
    rig::muc::join_room(stack, phone, room, "bob");
    const std::size_t back = laptop.mark();
    rig::muc::say(stack, alice, room, "alice", "Welcome back.");
    rig::sync_with_muc(stack, laptop);
    if (!rig::muc::copies_at(laptop, from_alice, back).empty())
        throw std::runtime_error("bob's laptop got a copy while bob was in the room");
}

void print_proxy_log(const rig::Stack& stack) {
    const rig::Proxy* proxy = stack.proxy();
    if (proxy == nullptr) return;
    std::cout << "\nLast lines of the " << proxy->description() << " log ("
              << proxy->process().log_path().string() << "):\n";
    std::string tail = proxy->process().log_tail(15);
    std::size_t start = 0;
    while (start < tail.size()) {
        std::size_t end = tail.find('\n', start);
        if (end == std::string::npos) end = tail.size();
        std::cout << "  | " << tail.substr(start, end - start) << "\n";
        start = end + 1;
    }
}

}  // namespace

int main(int argc, char** argv) {
    rig::StackOptions options = rig::StackOptions::from_env(true);
    options.capable_server = true;
    options.proxy_extra_config = R"("registration":"standalone")";
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--proxy") == 0 && i + 1 < argc) {
            options.proxy_binary = argv[++i];
        } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
            usage(std::cout);
            return 0;
        } else {
            std::cerr << "demo: unknown argument " << argv[i] << "\n";
            usage(std::cerr);
            return 2;
        }
    }

    std::cout << "Starting Prosody, "
              << (options.relay == rig::RelayKind::socat ? std::string("a socat relay")
                                                         : options.proxy_binary)
              << " and mu-conference on free loopback ports...\n";
    std::unique_ptr<rig::Stack> stack;
    try {
        stack = std::make_unique<rig::Stack>(options);
    } catch (const std::exception& error) {
        std::cerr << "demo FAILED while starting the stack: " << error.what() << "\n";
        return 1;
    }
    std::printf("Ready after %.2f s.\n\n", rig::seconds_since(stack->epoch()));

    const std::string room = "lunch@" + stack->muc_domain();
    std::cout << "The story: alice creates " << room
              << "; bob joins from his phone, opts in to offline delivery and leaves;\n"
                 "alice writes twice; bob's laptop, never in the room, gets both messages at\n"
                 "bob's bare JID; bob's phone rejoins; alice writes again; no copy this time.\n\n";
    bool ok = true;
    try {
        play_offline_story(*stack, room);
    } catch (const std::exception& error) {
        ok = false;
        print_transcript(*stack);
        std::cerr << "\ndemo FAILED: " << error.what() << "\n\n" << stack->log_tails(30);
    }
    if (ok) print_transcript(*stack);

    std::cout << "\nWhere the proxy sat (ports picked at run time):\n";
    std::string path = stack->describe_path();
    std::size_t start = 0;
    while (start < path.size()) {
        std::size_t end = path.find('\n', start);
        if (end == std::string::npos) end = path.size();
        std::cout << "  " << path.substr(start, end - start) << "\n";
        start = end + 1;
    }
    std::cout << "Every stanza between mu-conference and Prosody above crossed it.\n";
    std::cout << "\nStopping the proxy (SIGTERM), which logs its counters...\n";
    stack->stop_proxy(rig::StopHow::sigterm);
    print_proxy_log(*stack);

    std::cout << "\nStopping everything...\n";
    stack.reset();
    if (ok) {
        std::cout << "Act 1 OK: bob's laptop got alice's two messages while bob was away, and "
                     "none once he was back.\n";
    }
    if (options.relay == rig::RelayKind::socat) return ok ? 0 : 1;  // notices are the proxy's

    std::cout << "\nAct 2: a STOCK Prosody, which refuses groupchat messages to a bare JID, and "
                 "the proxy with\noffline.delivery \"notice\" (notice.min_interval_s 2). bob opts "
                 "in, leaves and goes offline;\nalice writes three times; bob logs in later and "
                 "reads the notices from offline storage.\n\n";
    rig::StackOptions stock = options;
    stock.capable_server = false;
    stock.proxy_extra_config =
        R"("registration":"standalone","offline":{"delivery":"notice","notice":{"min_interval_s":2}})";
    bool act2_ok = true;
    try {
        auto second = std::make_unique<rig::Stack>(stock);
        try {
            play_notice_story(*second, "lunch@" + second->muc_domain());
        } catch (const std::exception& error) {
            act2_ok = false;
            print_transcript(*second);
            std::cerr << "\ndemo act 2 FAILED: " << error.what() << "\n\n" << second->log_tails(30);
        }
        std::cout << "\nStopping the proxy (SIGTERM), which logs its counters...\n";
        second->stop_proxy(rig::StopHow::sigterm);
        print_proxy_log(*second);
        std::cout << "\nStopping everything...\n";
    } catch (const std::exception& error) {
        act2_ok = false;
        std::cerr << "demo act 2 FAILED while starting the stack: " << error.what() << "\n";
    }
    ok = ok && act2_ok;
    std::cout << (ok ? "demo OK: copies where the server takes them (act 1), notices from the "
                       "room where it does not (act 2).\n"
                     : "demo FAILED (see above).\n");
    return ok ? 0 : 1;
}
