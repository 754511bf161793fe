// Which changes of a batch need writing at all.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "offline/state_store.hpp"

namespace store {

// For each change, whether a later change in `changes` writes the same row. Each put or
// remove sets its row whole (INSERT OR REPLACE, DELETE), so of several changes to one row in a
// batch only the last needs writing: a guest who joins and leaves within one batch costs a
// DELETE, not an INSERT and a DELETE. The changes are sorted by a hash of their row (16 bytes
// a change: a join storm's batch stays small), and a change is skipped only when the next one
// of the same hash writes the very same row: a collision costs a write, never a change.
std::vector<bool> overwritten_later(
    const std::vector<std::pair<std::string, offline::StateChange>>& changes);

}  // namespace store
