#pragma once
// The MUC under test, whichever it is: mu-conference, or Prosody's own mod_muc in a second
// Prosody that links out over XEP-0114 (tests/e2e/prosody). Both connect to a port they are
// given (the proxy's, or the server's component port) and keep retrying when it drops.

#include <filesystem>
#include <string>

#include "deadline.hpp"
#include "process.hpp"

namespace rig {

enum class MucKind { mu_conference, prosody };

class MucProcess {
  public:
    virtual ~MucProcess() = default;
    virtual std::string name() const = 0;  // for transcripts and failure messages
    virtual void start() = 0;
    virtual void stop() = 0;
    virtual bool running() = 0;
    // Waits until this process has finished its handshake with what it connects to.
    virtual void wait_handshake(Deadline deadline) = 0;
    virtual Process* process() const = 0;
};

}  // namespace rig
