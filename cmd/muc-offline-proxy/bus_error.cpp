#include "bus_error.hpp"

#include <signal.h>
#include <string.h>
#include <unistd.h>

namespace {

// Built before any fault: a signal handler may only call async-signal-safe functions.
char message[1024];
size_t message_length = 0;

void on_bus_error(int signum) {
    ssize_t ignored = write(STDERR_FILENO, message, message_length);
    (void)ignored;
    signal(signum, SIG_DFL);
    raise(signum);
}

}  // namespace

void explain_bus_errors(const std::string& store_path) {
    const std::string text =
        "muc-offline-proxy: fatal: SIGBUS: a memory-mapped file became inaccessible. The store's "
        "shared-memory file (" +
        store_path +
        "-shm) is the usual one: check that the store's directory is writable, not full, not "
        "immutable (lsattr) and still mounted. Registrations already acknowledged are in " +
        store_path + " and its -wal; restart once the file system is healthy.\n";
    message_length = text.copy(message, sizeof(message) - 1);
    struct sigaction action {};
    action.sa_handler = on_bus_error;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, nullptr);
}
