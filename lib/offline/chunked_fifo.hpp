// A FIFO of records kept in 64 KiB chunks whose pages come populated (lib/memory) and which
// are reused as the FIFO turns over: a record costs no allocation and, once the FIFO has
// reached its size, no page fault either. Records are read by position from the front, as in
// a std::deque, whose nodes hold 512 bytes each: a malloc and, while it grows, a page fault
// (~11 µs on the VMs measured) every few records. The bounce tracker keeps one record per
// message for the bounce TTL, so it grows by thousands a second under load.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <new>
#include <utility>

#include "memory/populated_memory.hpp"
#include "offline/spare_chunks.hpp"

namespace offline {

template <typename T>
class ChunkedFifo {
  public:
    static constexpr std::size_t kChunkBytes = 64 * 1024;
    static constexpr std::size_t kPerChunk = kChunkBytes / sizeof(T);
    static_assert(kPerChunk > 0, "a record larger than a chunk");
    static_assert(alignof(T) <= alignof(std::max_align_t), "chunks are only malloc-aligned");

    ChunkedFifo() = default;
    ~ChunkedFifo() { clear(); }
    ChunkedFifo(const ChunkedFifo&) = delete;
    ChunkedFifo& operator=(const ChunkedFifo&) = delete;

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

    // The record `index` places behind the front.
    T& operator[](std::size_t index) { return *slot(head_ + index); }
    const T& operator[](std::size_t index) const { return *slot(head_ + index); }
    T& front() { return (*this)[0]; }
    T& back() { return (*this)[size_ - 1]; }

    template <typename... Args>
    T& emplace_back(Args&&... args) {
        const std::size_t position = head_ + size_;
        if (position == chunks_.size() * kPerChunk) chunks_.push_back(take_chunk());
        T* record = ::new (raw(position)) T(std::forward<Args>(args)...);
        ++size_;
        return *record;
    }

    void pop_front() {
        slot(head_)->~T();
        ++head_;
        --size_;
        if (head_ == kPerChunk) {
            // The front chunk is done: it is kept as a spare (or goes back to the allocator).
            spares_.keep(std::move(chunks_.front()));
            chunks_.pop_front();
            head_ = 0;
        }
    }

    void clear() {
        while (!empty()) pop_front();
    }

    // While the FIFO grows, makes the chunk that emplace_back() takes next, so that its
    // pages are populated between batches rather than in the middle of one (a system call of
    // 10 to 70 µs on the VMs measured). Call it between batches; a FIFO never prepared
    // allocates its chunks as it needs them.
    void prepare_ahead() {
        if (!chunks_.empty()) spares_.prepare();
    }
    bool has_spare() const { return !spares_.empty(); }
    // Chunks ever made (not taken from the spares).
    std::size_t chunks_made() const { return spares_.made(); }

  private:
    struct Chunk {
        memory::PopulatedMemory memory{kChunkBytes};
    };

    std::unique_ptr<Chunk> take_chunk() {
        if (std::unique_ptr<Chunk> spare = spares_.take()) return spare;
        return spares_.make();
    }
    void* raw(std::size_t position) const {
        return chunks_[position / kPerChunk]->memory.get() + (position % kPerChunk) * sizeof(T);
    }
    T* slot(std::size_t position) const { return std::launder(static_cast<T*>(raw(position))); }

    std::deque<std::unique_ptr<Chunk>> chunks_;
    SpareChunks<Chunk> spares_;
    std::size_t head_ = 0;  // the front record's place in chunks_.front()
    std::size_t size_ = 0;
};

}  // namespace offline
