#include "pump.hpp"

#include <sstream>
#include <stdexcept>
#include <thread>

namespace rig {
namespace {

// Short, so that with several clients one round stays a few milliseconds.
constexpr Millis kSlice(1);

std::string shortened(const std::string& xml) {
    constexpr std::size_t kMax = 400;
    return xml.size() <= kMax ? xml : xml.substr(0, kMax) + "...";
}

}  // namespace

bool pump_until(const std::vector<Client*>& clients, const std::function<bool()>& done,
                Deadline deadline) {
    while (!done()) {
        if (deadline.passed()) return false;
        if (clients.empty()) std::this_thread::sleep_for(kSlice);
        for (Client* client : clients) client->run_once(kSlice);
    }
    return true;
}

std::optional<std::size_t> find_received(const Client& who, const StanzaPattern& pattern,
                                         std::size_t since) {
    const auto& received = who.received();
    for (std::size_t i = since; i < received.size(); ++i) {
        if (pattern.matches(received[i])) return i;
    }
    return std::nullopt;
}

StanzaRecord expect_stanza(const std::vector<Client*>& clients, const Client& who,
                           const StanzaPattern& pattern, std::size_t since, Millis timeout) {
    std::optional<std::size_t> found;
    bool ok = pump_until(
        clients,
        [&] {
            found = find_received(who, pattern, since);
            return found.has_value() || who.failed();
        },
        Deadline::in(timeout));
    if (ok && found) return who.received()[*found];

    std::ostringstream why;
    why << who.label() << " did not receive " << pattern.describe();
    if (who.failed()) {
        why << ": its connection failed: " << who.failure();
    } else {
        why << " within " << timeout.count() << " ms";
    }
    const auto& received = who.received();
    if (received.size() <= since) {
        why << "; it received nothing after that point";
    } else {
        why << "; what it received after that point:";
        for (std::size_t i = since; i < received.size(); ++i) {
            why << "\n    " << shortened(received[i].xml);
        }
    }
    throw std::runtime_error(why.str());
}

}  // namespace rig
