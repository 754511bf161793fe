// Which changes of a batch need writing at all.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "offline/state_store.hpp"

namespace store {

// For each change, whether it need not be written. Each put or remove sets its row whole
// (INSERT OR REPLACE, DELETE), so of several changes to one row in a batch only the last needs
// writing, and not even that when the row's first change in the batch began a session
// (`began`: no row before it) and its last removes it: a guest who joins and leaves within one
// batch costs nothing. The changes are sorted by a hash of their row (16 bytes a change: a
// join storm's batch stays small), and changes are taken for one row only when they write the
// very same row: a collision costs a write, never a change.
std::vector<bool> needless_changes(
    const std::vector<std::pair<std::string, offline::StateChange>>& changes);

}  // namespace store
