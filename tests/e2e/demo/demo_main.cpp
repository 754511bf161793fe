// `make demo`: the proxy on a real component link, told as a story. Starts Prosody, the
// proxy and mu-conference on free loopback ports, lets alice and bob meet in a room, prints
// what each of them sent and got, where the proxy sat, and the end of its log. Exits
// non-zero if any step failed.
//
//   build/demo [--proxy PATH]     (or MUC_OFFLINE_PROXY=PATH; E2E_RELAY=socat for a plain relay)
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <string>

#include "../rig/lobby_story.hpp"
#include "../rig/plain_words.hpp"
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

void print_transcript(const rig::Stack& stack) {
    for (const auto& line : rig::plain_transcript(stack.clients(), stack.muc_domain())) {
        std::cout << "  " << line << "\n";
    }
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

    const std::string room = "lobby@" + stack->muc_domain();
    std::cout << "The story: alice creates " << room
              << ", bob joins, they exchange two messages, bob leaves.\n\n";
    bool ok = true;
    try {
        rig::Client& alice = stack->login("alice", "desk");
        rig::Client& bob = stack->login("bob", "phone");
        rig::play_lobby_story(*stack, alice, bob);
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
    print_proxy_log(*stack);

    std::cout << "\nStopping everything...\n";
    stack.reset();
    std::cout << (ok ? "demo OK: alice and bob each got the other's message through the proxy.\n"
                     : "demo FAILED (see above).\n");
    return ok ? 0 : 1;
}
