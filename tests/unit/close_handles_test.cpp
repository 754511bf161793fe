// net::close_handles: one callback, after the last handle of the group has closed.
#include "net/close_handles.hpp"

#include <doctest/doctest.h>
#include <uv.h>

TEST_CASE("close_handles: one callback after every handle closed, a skipped one not waited for") {
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    uv_timer_t first, second;
    uv_tcp_t socket;
    uv_timer_init(&loop, &first);
    uv_timer_init(&loop, &second);
    uv_tcp_init(&loop, &socket);
    uv_timer_start(
        &first, [](uv_timer_t*) { FAIL("a closed timer fired"); }, 0, 0);
    int done = 0;
    net::close_handles(
        {net::as_handle(&first), nullptr, net::as_handle(&second), net::as_handle(&socket)}, [&] {
            ++done;
            // Every handle of the group is closed by now.
            CHECK(uv_is_closing(net::as_handle(&first)));
            CHECK(uv_is_closing(net::as_handle(&socket)));
        });
    CHECK(done == 0);  // closes complete on the loop, not inside the call
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(done == 1);
    CHECK(uv_loop_close(&loop) == 0);  // nothing left open
}

TEST_CASE("close_handles: with nothing to close the callback runs at once") {
    int done = 0;
    net::close_handles({nullptr}, [&] { ++done; });
    CHECK(done == 1);
}
