#include "memory/zeroed_memory.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <utility>

#include "memory/populated_memory.hpp"

namespace memory {

ZeroedMemory::ZeroedMemory(std::size_t bytes) : size_(bytes) {
    if (bytes == 0) return;
    if (bytes >= kMappedFrom) {
        void* mapping =
            mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mapping == MAP_FAILED) throw std::bad_alloc();
        bytes_ = static_cast<char*>(mapping);
        return;
    }
    bytes_ = static_cast<char*>(std::calloc(bytes, 1));
    if (bytes_ == nullptr) throw std::bad_alloc();
}

ZeroedMemory::~ZeroedMemory() {
    release();
}

ZeroedMemory::ZeroedMemory(ZeroedMemory&& other) noexcept
    : bytes_(std::exchange(other.bytes_, nullptr)), size_(std::exchange(other.size_, 0)) {}

ZeroedMemory& ZeroedMemory::operator=(ZeroedMemory&& other) noexcept {
    if (this != &other) {
        release();
        bytes_ = std::exchange(other.bytes_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

void ZeroedMemory::populate(std::size_t offset, std::size_t bytes) const {
    if (!mapped() || offset >= size_) return;  // the allocator's memory was written by it
    memory::populate(bytes_ + offset, std::min(bytes, size_ - offset));
}

void ZeroedMemory::release() {
    if (bytes_ == nullptr) return;
    if (mapped()) {
        munmap(bytes_, size_);
    } else {
        std::free(bytes_);
    }
    bytes_ = nullptr;
    size_ = 0;
}

}  // namespace memory
