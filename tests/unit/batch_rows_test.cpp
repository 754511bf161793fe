// Which changes of a batch the store may leave unwritten, and that the rest still leaves each
// row as the last change says.
#include "store/batch_rows.hpp"

#include <doctest/doctest.h>

#include <vector>

using offline::StateChange;

namespace {

StateChange put(std::string full_jid, std::string nick, bool began) {
    StateChange change{
        StateChange::Kind::put_session, "room@c", std::move(full_jid), {std::move(nick), false}};
    change.began = began;
    return change;
}

StateChange gone(std::string full_jid) {
    return StateChange{StateChange::Kind::remove_session, "room@c", std::move(full_jid), {}};
}

}  // namespace

TEST_CASE(
    "batch rows: only each row's last change is written, none for a session begun and ended") {
    const std::vector<std::pair<std::string, StateChange>> changes = {
        {"l", put("guest@x/a", "guest", true)},      // 0: begun and ended here: nothing
        {"l", put("known@x/a", "renamed", false)},   // 1: the row was there before
        {"l", put("guest@x/a", "g2", false)},        // 2
        {"l", gone("guest@x/a")},                    // 3
        {"l", gone("known@x/a")},                    // 4: must be written
        {"l", gone("back@x/a")},                     // 5: left, then joined again
        {"l", put("back@x/a", "back", true)},        // 6: written
        {"other", put("guest@x/a", "guest", true)},  // 7: another link's row, written
    };
    const std::vector<bool> needless = store::needless_changes(changes);
    const std::vector<bool> expected = {true, true, true, true, false, true, false, false};
    CHECK(needless == expected);
}

TEST_CASE("batch rows: a session begun, ended and begun again in one batch is written once") {
    const std::vector<std::pair<std::string, StateChange>> changes = {
        {"l", put("guest@x/a", "one", true)},
        {"l", gone("guest@x/a")},
        {"l", put("guest@x/a", "two", true)},
    };
    const std::vector<bool> expected = {true, true, false};
    CHECK(store::needless_changes(changes) == expected);
}
