#include "session/held_output.hpp"

#include "xml/start_tag.hpp"

namespace session {

namespace {

std::size_t index_of(Side side) {
    return side == Side::component ? 0 : 1;
}

// Past this many bytes, emptied held bytes go back to the allocator (a join storm's).
constexpr std::size_t kKeptHeldBytes = 256 * 1024;
// While output stays held, the bytes already written are dropped from the front once there
// are at least this many and they are half of what is kept.
constexpr std::size_t kMinDroppedBytes = 4096;

// Who a write goes to, as RecipientCounts counts it: the hash of its raw `to`.
std::uint64_t recipient_key(std::string_view bytes, std::optional<std::string_view> recipient) {
    if (!recipient) {
        const std::optional<xml::ValueSpan> to = xml::find_attribute(bytes, "to");
        recipient = to ? bytes.substr(to->offset, to->length) : std::string_view();
    }
    return std::hash<std::string_view>{}(*recipient);
}

}  // namespace

std::uint64_t HeldOutput::add_barrier(Side fallback_to, std::string_view fallback) {
    ++outstanding_;
    const std::uint64_t number = barriers_added_++;
    if (fallback.empty()) return number + 1;
    barriers_.push_back(Barrier{false, stanza_barrier_});
    const auto barrier = static_cast<std::uint32_t>(barriers_.size());
    fallback_of_.emplace(number, barrier - 1);
    add(Held{fallback_to, Unit::added, true, true, barrier, barriers_added_, 0, 0, 0}, fallback,
        std::nullopt);
    stanza_barrier_ = barrier;
    return number + 1;
}

void HeldOutput::hold(const Write& write, std::optional<std::string_view> recipient) {
    add(Held{write.to, write.unit, write.after_persist, false, stanza_barrier_, barriers_added_, 0,
             0, 0},
        write.bytes, recipient);
}

void HeldOutput::add(Held held, std::string_view bytes, std::optional<std::string_view> recipient) {
    bytes_ += bytes.size() + kEntryOverhead;
    ++held_for_[index_of(held.to)];
    held.start = bytes_base_ + bytes_held_.size();
    held.length = bytes.size();
    bytes_held_.append(bytes);
    if (held.unit != Unit::stream) {
        held.recipient = recipient_key(bytes, recipient);
        recipients_[index_of(held.to)].add(held.recipient);
    }
    held_.push_back(held);
}

std::string_view HeldOutput::bytes_of(const Held& held) const {
    return std::string_view(bytes_held_).substr(held.start - bytes_base_, held.length);
}

void HeldOutput::forget_front() {
    const Held& held = held_.front();
    bytes_ -= held.length + kEntryOverhead;
    --held_for_[index_of(held.to)];
    if (held.unit != Unit::stream) recipients_[index_of(held.to)].remove(held.recipient);
    const std::uint64_t end = held.start + held.length;
    held_.pop_front();
    if (held_.empty()) {
        bytes_base_ = end;
        if (bytes_held_.capacity() > kKeptHeldBytes) {
            std::string().swap(bytes_held_);
        } else {
            bytes_held_.clear();
        }
        recipients_[0].release_if_large();
        recipients_[1].release_if_large();
        return;
    }
    // While output stays held (overlapping commits), the bytes that went out are dropped once
    // they are half of what is kept: each byte is moved at most once on average.
    const std::size_t gone = static_cast<std::size_t>(held_.front().start - bytes_base_);
    if (gone >= kMinDroppedBytes && gone * 2 >= bytes_held_.size()) {
        bytes_held_.erase(0, gone);
        bytes_base_ += gone;
    }
}

bool HeldOutput::must_wait(const Write& write, std::optional<std::string_view> recipient) const {
    if (held_for_[index_of(write.to)] == 0) return false;
    if (write.unit == Unit::stream) return true;
    const RecipientCounts& counts = recipients_[index_of(write.to)];
    if (counts.empty()) return false;
    return counts.contains(recipient_key(write.bytes, recipient));
}

void HeldOutput::settle(std::uint64_t ticket, bool durable) {
    const std::uint64_t number = ticket - 1;
    // A settled barrier's outcome lives on in barriers_ (what depends on it reads it there).
    if (auto f = fallback_of_.find(number); f != fallback_of_.end()) {
        if (!durable) barriers_[f->second].failed = true;
        fallback_of_.erase(f);
    }
    --outstanding_;
    if (number != settled_prefix_) {
        settled_out_of_order_.insert(number);
        return;
    }
    ++settled_prefix_;
    for (auto next = settled_out_of_order_.begin();
         next != settled_out_of_order_.end() && *next == settled_prefix_;
         next = settled_out_of_order_.erase(next))
        ++settled_prefix_;
}

void HeldOutput::reset() {
    barriers_.clear();
    fallback_of_.clear();
    barriers_added_ = 0;
    settled_prefix_ = 0;
    settled_out_of_order_.clear();
    stanza_barrier_ = 0;
}

bool HeldOutput::failed(std::uint32_t barrier) const {
    for (; barrier != 0; barrier = barriers_[barrier - 1].after) {
        if (barriers_[barrier - 1].failed) return true;
    }
    return false;
}

bool HeldOutput::goes_out(const Held& held) const {
    if (!held.fallback) return !failed(held.barrier);
    const Barrier& own = barriers_[held.barrier - 1];
    return own.failed && !failed(own.after);
}

}  // namespace session
