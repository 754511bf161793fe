// The durable writer: a persist barrier is released only once the changes recorded before it
// are in the file, changes of one loop iteration share a transaction, and closing writes what
// is left.
#include "durable/durable_state.hpp"

using durable::DurableState;

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>

#include "support/failing_disk.hpp"

namespace fs = std::filesystem;
using offline::StateChange;

namespace {

struct TempStore {
    fs::path dir;
    std::string path;
    TempStore() {
        char pattern[] = "/tmp/durable-test-XXXXXX";
        dir = mkdtemp(pattern);
        path = (dir / "state.db").string();
    }
    ~TempStore() { fs::remove_all(dir); }

    std::size_t registrations_on_disk(const std::string& link) const {
        std::string error;
        auto reader = store::SqliteStore::open(path, store::SqliteStore::Mode::read_only, error);
        return reader ? reader->load(link).registrations.size() : 0;
    }
};

// Runs the loop until `done` holds.
template <typename Condition>
void run_until(uv_loop_t& loop, Condition done) {
    while (!done()) uv_run(&loop, UV_RUN_ONCE);
}

// A loop for one test; at the end every handle must have been closed.
struct TestLoop {
    uv_loop_t loop;
    TestLoop() { uv_loop_init(&loop); }
    ~TestLoop() {
        uv_run(&loop, UV_RUN_DEFAULT);
        CHECK(uv_loop_close(&loop) == 0);
    }
};

std::unique_ptr<store::SqliteStore> open_store(const std::string& path) {
    std::string error;
    auto store = store::SqliteStore::open(path, store::SqliteStore::Mode::read_write, error);
    REQUIRE_MESSAGE(store, error);
    return store;
}

// Waits for everything recorded so far; true when it is on disk.
bool wait_durable(uv_loop_t& loop, DurableState& durable) {
    std::optional<bool> answer;
    durable.after_durable([&](bool ok) { answer = ok; });
    run_until(loop, [&] { return answer.has_value(); });
    return *answer;
}

void close_and_wait(uv_loop_t& loop, DurableState& durable) {
    bool closed = false;
    durable.close([&] { closed = true; });
    run_until(loop, [&] { return closed; });
}

// What a session of the link does with its filter's record decisions.
struct LinkRecords {
    DurableState& durable;
    std::string link;
    void record(StateChange change) {
        const xmpp::StateRecord& decided = offline::StateChangeRecord(std::move(change));
        durable.record(link, decided);
    }
};

StateChange registration(const std::string& member) {
    StateChange change{StateChange::Kind::put_registration, "room@c", member, {}};
    change.registration = {"nick", true};
    return change;
}

// A store in a temporary directory, a loop, and the durable writer over them, recording for
// link "link". Members go in reverse: the writer before the loop, which then checks that every
// handle was closed.
struct Rig {
    explicit Rig(std::size_t max_retained_bytes = config::Store{}.max_retained_bytes)
        : durable(&loop, open_store(temp.path), max_retained_bytes) {}
    TempStore temp;
    TestLoop test_loop;
    uv_loop_t& loop = test_loop.loop;
    DurableState durable;
    LinkRecords sink{durable, "link"};
};

}  // namespace

TEST_CASE("durable state: the barrier is released after the changes before it are on disk") {
    Rig rig;
    rig.sink.record(registration("a@x"));
    rig.sink.record(registration("b@x"));
    std::size_t on_disk_when_released = 0;
    bool released = false;
    rig.durable.after_durable([&](bool durable_now) {
        CHECK(durable_now);
        released = true;
        on_disk_when_released = rig.temp.registrations_on_disk("link");
    });
    rig.sink.record(registration("c@x"));  // same iteration: same transaction
    CHECK_FALSE(released);
    run_until(rig.loop, [&] { return released; });
    CHECK(on_disk_when_released == 3);
    CHECK(rig.durable.batches() == 1);

    // Written behind: a change no one waits for still reaches the file, at the latest on close.
    rig.sink.record(registration("d@x"));
    close_and_wait(rig.loop, rig.durable);
    CHECK(rig.temp.registrations_on_disk("link") == 4);
}

TEST_CASE(
    "durable state: a commit the disk refuses fails its waiters; its changes are kept and written "
    "once the disk has space again") {
    failing_disk::FailingDisk disk;  // outlives the store opened through it
    Rig rig;
    rig.sink.record(registration("a@x"));
    const bool first = wait_durable(rig.loop, rig.durable);
    CHECK(first);
    CHECK(rig.durable.writable());

    disk.set_full(true);
    rig.sink.record(registration("b@x"));
    const bool second = wait_durable(rig.loop, rig.durable);
    CHECK_FALSE(second);
    CHECK_FALSE(rig.durable.writable());
    CHECK(rig.durable.unwritable_reason() == "database or disk is full");
    CHECK(rig.durable.failed_batches() == 1);
    CHECK(rig.durable.pending_changes() == 1);
    CHECK(rig.temp.registrations_on_disk("link") == 1);

    // Still full: a new waiter fails too, and nothing is lost.
    rig.sink.record(registration("c@x"));
    const bool third = wait_durable(rig.loop, rig.durable);
    CHECK_FALSE(third);
    CHECK(rig.durable.pending_changes() == 2);

    // Space comes back: the retry (no one waits) writes everything kept, in order.
    rig.sink.record(registration("d@x"));
    disk.set_full(false);
    run_until(rig.loop, [&] { return rig.durable.writable(); });
    CHECK(rig.durable.pending_changes() == 0);
    CHECK(rig.durable.unwritable_reason().empty());
    CHECK(rig.temp.registrations_on_disk("link") == 4);
    CHECK(rig.durable.changes_dropped() == 0);

    close_and_wait(rig.loop, rig.durable);
}

TEST_CASE("durable state: past max_retained_bytes the oldest unwritten changes are dropped") {
    failing_disk::FailingDisk disk;
    Rig rig(20000);
    disk.set_full(true);
    for (int i = 0; i < 1000; ++i) rig.sink.record(registration("m" + std::to_string(i) + "@x"));
    const bool answer = wait_durable(rig.loop, rig.durable);
    CHECK_FALSE(answer);
    CHECK(rig.durable.changes_dropped() > 0);
    CHECK(rig.durable.pending_changes() + rig.durable.changes_dropped() == 1000);
    CHECK(rig.durable.pending_changes() < 200);
    disk.set_full(false);
    run_until(rig.loop, [&] { return rig.durable.writable(); });
    // What was kept is the newest: the last change recorded is on disk.
    CHECK(rig.temp.registrations_on_disk("link") == 1000 - rig.durable.changes_dropped());
    close_and_wait(rig.loop, rig.durable);
}

TEST_CASE(
    "durable state: a store file deleted while running fails every commit from then on, saying "
    "why") {
    Rig rig;
    rig.sink.record(registration("a@x"));
    const bool first = wait_durable(rig.loop, rig.durable);
    CHECK(first);

    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(rig.temp.path + suffix);
    rig.sink.record(registration("b@x"));
    const bool second = wait_durable(rig.loop, rig.durable);
    CHECK_FALSE(second);
    CHECK_FALSE(rig.durable.writable());
    CHECK(rig.durable.unwritable_reason().find("the state file was deleted while running") == 0);

    // A new file at the path is not the one opened: still refused, and left alone.
    open_store(rig.temp.path + ".new");
    fs::rename(rig.temp.path + ".new", rig.temp.path);
    const bool third = wait_durable(rig.loop, rig.durable);
    CHECK_FALSE(third);
    CHECK(rig.durable.unwritable_reason().find("the state file was deleted while running") == 0);
    CHECK(rig.temp.registrations_on_disk("link") == 0);

    close_and_wait(rig.loop, rig.durable);
    CHECK(rig.temp.registrations_on_disk("link") == 0);
}

TEST_CASE("durable state: a burst of changes is written at once, a few wait for the write-behind") {
    Rig rig;
    // A few changes wait for the write-behind timer: one rig.loop iteration leaves them pending.
    rig.sink.record(registration("few@x"));
    uv_run(&rig.loop, UV_RUN_NOWAIT);
    CHECK(rig.durable.pending_changes() == 1);
    CHECK(rig.durable.batches() == 0);
    wait_durable(rig.loop, rig.durable);
    // A burst (a join storm's worth, over 256 KiB) leaves at the end of the iteration.
    for (int i = 0; i < 3000; ++i) rig.sink.record(registration("m" + std::to_string(i) + "@x"));
    CHECK(rig.durable.pending_changes() == 3000);
    uv_run(&rig.loop, UV_RUN_NOWAIT);
    CHECK(rig.durable.pending_changes() == 0);
    CHECK(wait_durable(rig.loop, rig.durable));
    CHECK(rig.temp.registrations_on_disk("link") == 3001);
    close_and_wait(rig.loop, rig.durable);
}
