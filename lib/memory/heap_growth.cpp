#include "memory/heap_growth.hpp"

#include <unistd.h>

#include "memory/populated_memory.hpp"

namespace memory {
namespace {

// glibc keeps the break it last set: sbrk(0) reads it without a system call.
std::uintptr_t current_break() {
    return reinterpret_cast<std::uintptr_t>(sbrk(0));
}

}  // namespace

HeapGrowth::HeapGrowth() : seen_break_(current_break()) {}

std::size_t HeapGrowth::populate_gained() {
    const std::uintptr_t now = current_break();
    if (now <= seen_break_) {
        seen_break_ = now;
        return 0;
    }
    const std::size_t gained = now - seen_break_;
    populate(reinterpret_cast<void*>(seen_break_), gained);
    seen_break_ = now;
    populated_bytes_ += gained;
    return gained;
}

}  // namespace memory
