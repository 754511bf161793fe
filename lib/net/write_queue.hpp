// Bytes waiting to be written to one socket. Stanzas are copied into fixed-size blocks that
// are recycled; a flush writes what the socket takes at once, and what is queued while a write
// request is in flight goes out in the next vectored write, at most kMaxWriteBytes at a time:
// no allocation per stanza in steady state, one syscall per batch, and a peer that reads
// slowly is handed bounded writes. Written blocks are kept for reuse up to the owner's high
// watermark (and 1 MiB more) while the queue is busy: a queue that fills to the watermark and
// drains again, over and over (a fan-out under load), would otherwise hand megabytes back to
// the allocator, which returns them to the kernel, and take each page back with a page fault
// (measured: a third of the proxy's system time at fan-out K = 10). They go back with the
// queue.
#pragma once

#include <uv.h>

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "memory/populated_memory.hpp"

namespace net {

class WriteQueue {
  public:
    // Called after a write completes (status 0) or fails (libuv error code).
    using WrittenCallback = std::function<void(int status)>;

    // `keep_bytes`: how much written space to keep for reuse (the owner's high watermark),
    // beside kMaxWriteBytes more.
    WriteQueue(uv_stream_t* stream, WrittenCallback on_written,
               std::size_t keep_bytes = kMinSpareBlocks * kBlockBytes);
    ~WriteQueue();
    WriteQueue(const WriteQueue&) = delete;
    WriteQueue& operator=(const WriteQueue&) = delete;

    void append(std::string_view bytes);
    // A stanza in three pieces (a fan-out copy: its stanza around the member), as one.
    void append(std::string_view head, std::string_view middle, std::string_view tail);
    // Writes what is queued, unless a write is in flight or the queue is held: at once as far
    // as the socket takes it, the rest in a write request (up to kMaxWriteBytes) that calls
    // back when done; the owner flushes again then. A flush that wrote everything calls back
    // nothing.
    void flush();
    // While held (e.g. before the socket is connected), bytes accumulate and nothing is written.
    void hold(bool held);

    std::size_t bytes() const { return queued_bytes_; }  // queued plus in flight
    bool idle() const { return queued_bytes_ == 0 && !in_flight_; }
    std::size_t in_flight_bytes() const { return in_flight_ ? in_flight_bytes_ : 0; }

    static constexpr std::size_t kBlockBytes = 64 * 1024;
    static constexpr std::size_t kMaxWriteBytes = 16 * kBlockBytes;
    // The fewest spare blocks kept: a burst's first megabyte needs no allocation.
    static constexpr std::size_t kMinSpareBlocks = 16;

    std::size_t spare_blocks() const { return spare_.size(); }

  private:
    struct Block {
        static constexpr std::size_t kSize = kBlockBytes;
        // Populated when made: a new block is about to be filled whole.
        memory::PopulatedMemory data{kSize};
        std::size_t used = 0;
    };

    static void on_write_done(uv_write_t* request, int status);
    // Fills buffers_ with what is queued, up to kMaxWriteBytes; returns their bytes.
    std::size_t gather();
    // Drops `written` bytes from the front; their emptied blocks become spares.
    void release(std::size_t written);
    std::unique_ptr<Block> take_block();

    uv_stream_t* stream_;
    WrittenCallback on_written_;
    std::size_t max_spare_blocks_;
    uv_write_t request_{};
    bool in_flight_ = false;
    bool held_ = false;
    std::size_t queued_bytes_ = 0;
    std::size_t head_offset_ = 0;      // bytes of blocks_.front() already written
    std::size_t in_flight_bytes_ = 0;  // bytes the current write covers
    std::deque<std::unique_ptr<Block>> blocks_;
    std::vector<std::unique_ptr<Block>> spare_;
    std::vector<uv_buf_t> buffers_;
};

}  // namespace net
