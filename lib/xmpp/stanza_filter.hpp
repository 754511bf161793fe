// The interface between the relay and whatever inspects stanzas on the link (the offline
// delivery feature). A filter sees one stanza at a time and answers with ordered decisions;
// the link carries them out in that order. Filters do no I/O and read no clock.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "xml/element_view.hpp"

namespace xmpp {

// Which way a stanza travels on the component link.
enum class Direction {
    to_server,     // sent by the component (the MUC)
    to_component,  // sent by the XMPP server
};

std::string_view direction_name(Direction direction);  // "component->server" / "server->component"

// Time since the proxy started, given to filters so they never read a clock themselves.
using Moment = std::chrono::microseconds;

struct Stanza {
    const xml::ElementView& top;
    std::string_view raw;
};

// A change of a filter's state that must survive a restart. What it holds is the filter's
// business (lib/offline's StateChangeRecord); the relay carries it, in order with the other
// decisions, to whatever makes it durable.
class StateRecord {
  public:
    virtual ~StateRecord() = default;
};

struct Decision {
    enum class Kind {
        forward,            // the stanza as received, byte for byte
        forward_rewritten,  // `bytes` instead of the stanza, in its direction
        inject,             // `bytes` as an extra stanza in `direction`
        inject_copy,        // an extra stanza in `direction`: a copy kept in the Decisions with
                            // a member in place of its `to` value (Decisions::bytes_of)
        note,               // `bytes` is a line for the log (filters do no I/O themselves)
        persist,            // what the filter recorded so far must be durable before what this
                            // stanza emits after it is written; `bytes`, when not empty, is the
                            // fallback, written in `direction` instead of that, should the
                            // commit fail
        record,             // `record` is a change to keep: handed on in this order, so a
                            // persist after it waits for it
    };
    Kind kind;
    Direction direction;
    std::string bytes;
    std::shared_ptr<const StateRecord> record;
    // inject_copy: which kept stanza, and where its member is in the Decisions' member bytes.
    std::uint32_t copy_of = 0;
    std::uint32_t member_offset = 0;
    std::uint32_t member_length = 0;
};

// Ordered decisions for one stanza. A stanza that is neither forwarded nor rewritten is
// dropped. The buffer is reused from stanza to stanza.
class Decisions {
  public:
    // Nearly every stanza's one decision: its slot's bytes are never read, so they are left
    // as they are.
    void forward(Direction direction) { next_slot(Decision::Kind::forward, direction); }
    void forward_rewritten(Direction direction, std::string bytes) {
        add(Decision::Kind::forward_rewritten, direction, std::move(bytes));
    }
    void inject(Direction direction, std::string bytes) {
        add(Decision::Kind::inject, direction, std::move(bytes));
    }
    // An injection built in place, in a buffer kept from one stanza to the next: a fan-out of
    // many copies allocates nothing per copy once the buffers have grown.
    std::string& inject_in_place(Direction direction);

    // Copies of one stanza to many recipients (a fan-out): the stanza is kept once, and each
    // copy costs a slot and its member's bytes, not a buffer of its own (10,000 copies of a
    // 600-byte message were 6 MB built here and then copied again into the write queue).
    struct CopySource {
        std::uint64_t epoch = 0;  // of the Decisions that keeps it; 0: none
        std::uint32_t index = 0;
    };
    // Keeps `stanza`, whose `to` value is `to_length` bytes at `to_offset`, until clear().
    CopySource keep_copy_source(std::string_view stanza, std::size_t to_offset,
                                std::size_t to_length);
    bool holds(const CopySource& source) const {
        return source.epoch != 0 && source.epoch == epoch_;
    }
    // A copy of a kept stanza with `member` (no quote, '<' or '&') as its `to`.
    void inject_copy(Direction direction, const CopySource& source, std::string_view member);
    // The bytes a forward_rewritten, inject or inject_copy decision writes; a copy is built in
    // `scratch`.
    std::string_view bytes_of(const Decision& decision, std::string& scratch) const;
    // An inject_copy decision's bytes as they are kept: the stanza up to its `to` value, the
    // member, the rest of the stanza.
    struct CopyPieces {
        std::string_view head, member, tail;
        void append_to(std::string& out) const { out.append(head).append(member).append(tail); }
    };
    CopyPieces pieces_of(const Decision& decision) const;

    void note(std::string line) {
        add(Decision::Kind::note, Direction::to_server, std::move(line));
    }
    void persist() { add(Decision::Kind::persist, Direction::to_server, {}); }
    void record(std::shared_ptr<const StateRecord> change);
    // Gives the last persist decision a fallback (see Decision::Kind::persist): the answer a
    // requester gets when the state its answer depends on cannot be stored. Without an earlier
    // persist nothing waits for a commit, and nothing needs replacing.
    void if_not_durable(Direction direction, std::string fallback);

    const Decision* begin() const { return items_.data(); }
    const Decision* end() const { return items_.data() + count_; }
    std::size_t size() const { return count_; }
    void clear() {
        if (records_) release_records();
        count_ = 0;
        if (epoch_ != 0) forget_copy_sources();
    }

  private:
    void add(Decision::Kind kind, Direction direction, std::string bytes);
    // The next decision, reusing a slot (and its buffer) left by an earlier stanza.
    Decision& next_slot(Decision::Kind kind, Direction direction) {
        if (count_ == items_.size()) items_.emplace_back();
        Decision& slot = items_[count_++];
        slot.kind = kind;
        slot.direction = direction;
        return slot;
    }
    // Records are rare: their slots are emptied at the next clear(), not on every reuse.
    void release_records();

    void forget_copy_sources();

    std::vector<Decision> items_;
    std::size_t count_ = 0;
    bool records_ = false;  // a slot in use holds a record
    struct KeptStanza {
        std::string bytes;
        std::size_t to_offset = 0;
        std::size_t to_length = 0;
    };
    std::vector<KeptStanza> copy_sources_;  // buffers kept from one stanza to the next
    std::size_t copy_source_count_ = 0;
    std::string copy_members_;
    // Sources kept since the last clear() belong to this epoch, unique in the process.
    std::uint64_t epoch_ = 0;
};

class StanzaFilter {
  public:
    virtual ~StanzaFilter() = default;
    // `out` is empty on entry. To pass the stanza on unchanged, call out.forward(direction).
    virtual void on_stanza(Direction direction, const Stanza& stanza, Moment now,
                           Decisions& out) = 0;
    // Everything read from `direction`'s source in one go has been seen: a filter holding
    // stanzas back until a burst is complete emits them now (injections only).
    virtual void on_batch_end(Direction direction, Moment now, Decisions& out) {
        (void)direction;
        (void)now;
        (void)out;
    }
    // The server accepted a component session's handshake: stanzas follow. Every session of
    // a link starts and ends, so per-session state lives from one to the other.
    virtual void on_session_start(Moment now, Decisions& out) {
        (void)now;
        (void)out;
    }
    // The session is over (either peer left, a stream error, a shutdown): nothing more comes
    // from it. What is decided here still goes out if a side can take it (notes always).
    virtual void on_session_end(Moment now, Decisions& out) {
        (void)now;
        (void)out;
    }
    // Every batch read so far has been handled and its output handed to the sockets: a
    // filter makes ready now what is slow to make (memory whose pages must be faulted in),
    // so that no stanza waits for it. Decides nothing.
    virtual void prepare_ahead() {}
};

}  // namespace xmpp
