// SIGBUS in a running proxy almost always means a memory-mapped file went away under it:
// SQLite maps the store's `-shm` file, and a file made immutable, truncated or on a filesystem
// that vanished faults on the next access. The process cannot go on, but the operator should
// read why in the log rather than only "Bus error".
#pragma once

#include <string>

// Installs the handler; `store_path` is named in its message. The handler writes one line to
// stderr and lets the signal end the process as it would have (core dump included).
void explain_bus_errors(const std::string& store_path);
