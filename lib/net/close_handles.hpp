// The one way the proxy closes libuv handles: a group of them, and one callback once the last
// has closed, so no object counts its own handles. libuv calls a stream's pending write,
// shutdown and connect callbacks (with UV_ECANCELED) before its close callback, so when `done`
// runs nothing of the group's owner will be called again and it may free itself.
#pragma once

#include <uv.h>

#include <functional>
#include <initializer_list>

namespace net {

// Closes every handle given (a null pointer is skipped: a handle never opened). Each handle's
// `data` is taken over for the close. None may be closing already. With no handle to close,
// `done` runs at once.
void close_handles(std::initializer_list<uv_handle_t*> handles, std::function<void()> done);

template <typename Handle>
uv_handle_t* as_handle(Handle* handle) {
    return reinterpret_cast<uv_handle_t*>(handle);
}

}  // namespace net
