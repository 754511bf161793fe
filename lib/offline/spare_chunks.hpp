// The chunks a chunked FIFO (ChunkedFifo, ByteFifo) keeps for its back to take: those its
// front gave back, and the one prepare_ahead() made while it grew. Two at most: at a steady
// size the front gives back a chunk for each one the back takes, and the prepared one is still
// there; with one, each turn would free a chunk and prepare_ahead() make another.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

namespace offline {

template <typename Chunk>
class SpareChunks {
  public:
    // A kept chunk, or null.
    std::unique_ptr<Chunk> take() { return count_ > 0 ? std::move(kept_[--count_]) : nullptr; }
    // Keeps `chunk`, or frees it when two are kept already.
    void keep(std::unique_ptr<Chunk> chunk) {
        if (count_ < kMax) kept_[count_++] = std::move(chunk);
    }
    // A new chunk, counted in made().
    template <typename... Args>
    std::unique_ptr<Chunk> make(Args&&... args) {
        ++made_;
        return std::make_unique<Chunk>(std::forward<Args>(args)...);
    }
    // Between batches: a chunk made now (its pages populated) for the next one the FIFO needs,
    // unless one is kept already.
    template <typename... Args>
    void prepare(Args&&... args) {
        if (count_ == 0) keep(make(std::forward<Args>(args)...));
    }

    bool empty() const { return count_ == 0; }
    // Chunks ever made, not taken from those kept.
    std::size_t made() const { return made_; }

  private:
    static constexpr std::size_t kMax = 2;
    std::unique_ptr<Chunk> kept_[kMax];
    std::size_t count_ = 0;
    std::size_t made_ = 0;
};

}  // namespace offline
