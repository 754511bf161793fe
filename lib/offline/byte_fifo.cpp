#include "offline/byte_fifo.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace offline {

ByteFifo::Place ByteFifo::push(std::string_view bytes) {
    if (chunks_.empty() || chunks_.back()->memory.size() - chunks_.back()->used < bytes.size()) {
        if (bytes.size() <= kChunkBytes && spare_) {
            chunks_.push_back(std::move(spare_));
        } else {
            chunks_.push_back(std::make_unique<Chunk>(std::max(kChunkBytes, bytes.size())));
        }
    }
    Chunk& chunk = *chunks_.back();
    const Place place{static_cast<std::uint32_t>(first_serial_ + chunks_.size() - 1),
                      static_cast<std::uint32_t>(chunk.used)};
    if (!bytes.empty()) std::memcpy(chunk.memory.get() + chunk.used, bytes.data(), bytes.size());
    chunk.used += bytes.size();
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
        spare_ = std::move(chunk);
    }
}

}  // namespace offline
