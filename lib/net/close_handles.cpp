#include "net/close_handles.hpp"

namespace net {
namespace {

struct Closing {
    int open = 0;
    std::function<void()> done;
};

}  // namespace

void close_handles(std::initializer_list<uv_handle_t*> handles, std::function<void()> done) {
    auto* closing = new Closing{0, std::move(done)};
    for (uv_handle_t* handle : handles) {
        if (handle == nullptr) continue;
        ++closing->open;
        handle->data = closing;
        uv_close(handle, [](uv_handle_t* closed) {
            auto* group = static_cast<Closing*>(closed->data);
            if (--group->open > 0) return;
            std::function<void()> finished = std::move(group->done);
            delete group;
            if (finished) finished();
        });
    }
    if (closing->open > 0) return;
    std::function<void()> finished = std::move(closing->done);
    delete closing;
    if (finished) finished();
}

}  // namespace net
