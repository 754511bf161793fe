#include "offline/byte_fifo.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace offline {

ByteFifo::Place ByteFifo::push(std::string_view first, std::string_view second) {
    const std::size_t size = first.size() + second.size();
    if (chunks_.empty() || chunks_.back()->memory.size() - chunks_.back()->used < size) {
        std::unique_ptr<Chunk> spare = size <= kChunkBytes ? spares_.take() : nullptr;
        chunks_.push_back(spare ? std::move(spare) : spares_.make(std::max(kChunkBytes, size)));
    }
    Chunk& chunk = *chunks_.back();
    const Place place{static_cast<std::uint32_t>(first_serial_ + chunks_.size() - 1),
                      static_cast<std::uint32_t>(chunk.used)};
    char* at = chunk.memory.get() + chunk.used;
    if (!first.empty()) std::memcpy(at, first.data(), first.size());
    if (!second.empty()) std::memcpy(at + first.size(), second.data(), second.size());
    chunk.used += size;
    return place;
}

void ByteFifo::release_before(Place place) {
    while (!chunks_.empty() && first_serial_ != place.chunk) release_front();
}

void ByteFifo::clear() {
    while (!chunks_.empty()) release_front();
}

void ByteFifo::release_front() {
    std::unique_ptr<Chunk> chunk = std::move(chunks_.front());
    chunks_.pop_front();
    ++first_serial_;
    // Kept for the next chunk when it is of the usual size (an outsized one goes back).
    if (chunk->memory.size() == kChunkBytes) {
        chunk->used = 0;
        spares_.keep(std::move(chunk));
    }
}

void ByteFifo::prepare_ahead() {
    if (!chunks_.empty()) spares_.prepare(kChunkBytes);
}

}  // namespace offline
