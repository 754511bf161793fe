// How a session waits for state to be durable before it writes what depends on it (a
// registration the MUC accepted is on disk before the member hears "registered").
//
// The contract: `done(true)` means every change recorded before the call is on disk (a crash,
// even kill -9, keeps it). `done(false)` means the commit holding them failed: the session writes
// the persist decision's fallback (the member hears an error, not "registered") instead of what
// depended on it. A failed change is not forgotten: the writer keeps it and retries, so it may
// reach the disk later (a member told "error" may end up registered; never the reverse).
#pragma once

#include <functional>
#include <string>

#include "xmpp/stanza_filter.hpp"

namespace net {

class Durability {
  public:
    virtual ~Durability() = default;
    // A change a filter of `link` decided to keep, in the order it was decided.
    virtual void record(const std::string& link, const xmpp::StateRecord& change) = 0;
    // Calls `done` on the loop thread once every change recorded so far is durable (true) or
    // the commit holding them has failed (false; the writer logs why and retries).
    virtual void after_durable(std::function<void(bool durable)> done) = 0;
};

}  // namespace net
