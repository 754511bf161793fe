// The durable writer: a persist barrier is released only once the changes recorded before it
// are in the file, changes of one loop iteration share a transaction, and closing writes what
// is left.
#include "../../cmd/muc-offline-proxy/durable_state.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

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

StateChange registration(const std::string& member) {
    StateChange change{StateChange::Kind::put_registration, "room@c", member, {}};
    change.registration = {"nick", true};
    return change;
}

}  // namespace

TEST_CASE("durable state: the barrier is released after the changes before it are on disk") {
    TempStore temp;
    uv_loop_t loop;
    uv_loop_init(&loop);
    std::string error;
    auto store = store::SqliteStore::open(temp.path, store::SqliteStore::Mode::read_write, error);
    REQUIRE_MESSAGE(store, error);
    {
        DurableState durable(&loop, std::move(store));
        offline::ChangeSink* sink = durable.sink_for("link");
        sink->record(registration("a@x"));
        sink->record(registration("b@x"));
        std::size_t on_disk_when_released = 0;
        bool released = false;
        durable.after_durable([&] {
            released = true;
            on_disk_when_released = temp.registrations_on_disk("link");
        });
        sink->record(registration("c@x"));  // same iteration: same transaction
        CHECK_FALSE(released);
        while (!released) uv_run(&loop, UV_RUN_ONCE);
        CHECK(on_disk_when_released == 3);
        CHECK(durable.batches() == 1);

        // Written behind: a change no one waits for still reaches the file, at the latest on close.
        sink->record(registration("d@x"));
        bool closed = false;
        durable.close([&] { closed = true; });
        while (!closed) uv_run(&loop, UV_RUN_ONCE);
        CHECK(temp.registrations_on_disk("link") == 4);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
}
