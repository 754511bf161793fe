// How a link waits for state to be durable before it writes what depends on it (a
// registration the MUC accepted is on disk before the member hears "registered").
#pragma once

#include <functional>

namespace net {

class Durability {
  public:
    virtual ~Durability() = default;
    // Calls `done` on the loop thread once every change recorded so far is durable (or has
    // failed to be: the link goes on either way, and the failure is logged where it happened).
    virtual void after_durable(std::function<void()> done) = 0;
};

}  // namespace net
