// `muc-offline-proxy state list|export|import`: the feature's state for operators. list and
// export only read (they work while the proxy runs: the store is in WAL mode); import writes
// and so needs the proxy stopped (the store's lock says so if it is not).
#pragma once

#include <string>

struct StateCommandOptions {
    std::string config_path;  // store.path comes from here
    std::string store_path;   // or directly
    std::string room;         // list: only this room
    std::string jid;          // list: only this member
    std::string file;         // export: output (default stdout); import: input
};

int state_list(const StateCommandOptions& options);
int state_export(const StateCommandOptions& options);
int state_import(const StateCommandOptions& options);
