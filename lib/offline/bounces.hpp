// Copies sent to bare JIDs that a stock server answers with an error (RFC 6121 §8.5.2.1.1:
// Prosody and ejabberd bounce a groupchat to a bare JID with service-unavailable). Such an
// error answers the proxy's copy, not anything the MUC sent, so it must never reach the MUC.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "offline/byte_fifo.hpp"
#include "offline/chunked_fifo.hpp"
#include "offline/packed_members.hpp"
#include "offline/sequence_index.hpp"
#include "xmpp/stanza_filter.hpp"

namespace offline {

class BounceTracker {
  public:
    // At most `max_copies` copies are tracked; past that the oldest are forgotten first.
    BounceTracker(std::chrono::milliseconds ttl, std::size_t max_copies)
        : ttl_(ttl), max_copies_(max_copies), newest_with_id_(IdOfFanout{this}) {}
    // Its index reads the fan-outs it keeps: it stays where it was made.
    BounceTracker(const BounceTracker&) = delete;
    BounceTracker& operator=(const BounceTracker&) = delete;
    // Copies already tracked expire by the new TTL too.
    void set_ttl(std::chrono::milliseconds ttl) { ttl_ = ttl; }
    // A lower limit forgets the oldest copies over it at the next copy sent.
    void set_max_copies(std::size_t max_copies) { max_copies_ = max_copies; }

    void sent(std::string_view member, std::string_view id, xmpp::Moment now);
    // sent() for each of `members` in turn (one ascending run), with the same outcome: a
    // fan-out's copies, kept as one record whose list is compared with the one before in two
    // block comparisons rather than member by member.
    void sent_all(const PackedMembers& members, std::string_view id, xmpp::Moment now);
    // True (and forgotten) when an error from `member` about `id` answers a copy still tracked
    // (the newest such copy). Call expire() first so that copies past the TTL no longer count.
    bool take_bounce(std::string_view member, std::string_view id);
    // Forgets copies older than the TTL; `delivered(member)` for each that drew no error.
    void expire(xmpp::Moment now, const std::function<void(std::string_view member)>& delivered);
    // Between batches: the memory the next fan-outs will be kept in is made ready now (see
    // ChunkedFifo::prepare_ahead), while the tracker grows for its first bounce TTL.
    void prepare_ahead() {
        fanouts_.prepare_ahead();
        ids_.prepare_ahead();
        newest_with_id_.prepare_ahead();
    }

    std::size_t tracked() const { return tracked_; }
    // Copies forgotten before their TTL because the limit was reached: their bounces, if any
    // come, reach the MUC.
    std::uint64_t forgotten() const { return forgotten_; }

  private:
    static constexpr std::uint64_t kNone = ~std::uint64_t{0};
    // The copies of one message sent at one moment (one fan-out, or a late copy), oldest
    // first in `fanouts_`. Its members are one ascending run, so a bounce is a binary search.
    // A room's messages in a row go to the same absent members: a fan-out shares the member
    // list of the one before as long as its members follow that list (its first `count` are
    // this fan-out's), and takes a list of its own where they part. 10,000 members copied to
    // message after message cost one list, not 26 bytes a copy.
    // A fan-out of one copy that shares nothing (the common case: one absent member, another
    // room each message) keeps its member right after its id in `ids_`, with no list: a list
    // is three heap blocks, freed a bounce TTL later in memory gone cold, and more than twice
    // the bytes of the record itself.
    struct Fanout {
        xmpp::Moment at;
        std::shared_ptr<PackedMembers> members;       // null: its one member is beside its id
        std::unique_ptr<std::vector<bool>> answered;  // by a bounce; made at the first one
        ByteFifo::Place id;                           // in ids_
        std::uint32_t id_length = 0;
        std::uint32_t count = 0;  // below max_copies_ (at most 100 million)
        std::uint32_t unanswered = 0;
        std::uint32_t member_beside_id_length = 0;  // while `members` is null
        std::uint64_t older_with_same_id = kNone;   // a sequence number, or kNone

        bool was_answered(std::size_t index) const {
            return answered && index < answered->size() && (*answered)[index];
        }
        // Adds `member` (after every member so far) and returns true, or false when it does
        // not keep the list ascending or fit in it.
        bool add(std::string_view member);
        // Takes `all` (one ascending run) as its members, from an empty fan-out: as add() for
        // each, sharing, extending or leaving the list it started with.
        void add_all(const PackedMembers& all);
    };
    // A cache line a message: the tracker holds one per fan-out for the bounce TTL.
    static_assert(sizeof(Fanout) <= 64);

    Fanout* by_sequence(std::uint64_t sequence);
    // A new newest fan-out, with no members yet, or `beside_id` as its one member (in `ids_`).
    void open_fanout(std::string_view id, xmpp::Moment now, std::string_view beside_id = {});
    // A new fan-out for the copy-by-copy path: it follows the newest one's list, if any.
    void open_fanout_with_list(std::string_view id, xmpp::Moment now);
    std::string_view member_beside_id(const Fanout& fanout) const {
        return ids_.view(fanout.id, fanout.id_length + fanout.member_beside_id_length)
            .substr(fanout.id_length);
    }
    std::string_view member_of(const Fanout& fanout, std::size_t index) const {
        return fanout.members ? fanout.members->at(index) : member_beside_id(fanout);
    }
    // Fanout::add(), after giving a fan-out whose member is beside its id a list.
    bool add_member(Fanout& fanout, std::string_view member);
    // Drops the oldest fan-out; `delivered` (may be null) hears of its unanswered copies.
    void drop_oldest(const std::function<void(std::string_view member)>* delivered);

    std::chrono::milliseconds ttl_;
    std::size_t max_copies_;
    std::string_view id_of(const Fanout& fanout) const {
        return ids_.view(fanout.id, fanout.id_length);
    }

    ChunkedFifo<Fanout> fanouts_;       // references stay valid as the ends change
    ByteFifo ids_;                      // the fan-outs' message ids, in the same order
    std::uint64_t first_sequence_ = 0;  // of fanouts_.front()
    // fanouts_.front().at, kept here: expire() asks at every stanza, and the oldest record's
    // line has gone cold by then (a cache miss a stanza at 10,000 stanzas/s).
    xmpp::Moment oldest_at_{};
    // Each id's newest fan-out, by sequence number; the index reads the id back from the
    // fan-out itself.
    struct IdOfFanout {
        const BounceTracker* tracker;
        std::string_view operator()(std::uint64_t sequence) const {
            return tracker->id_of(tracker->fanouts_[sequence - tracker->first_sequence_]);
        }
    };
    SequenceIndex<IdOfFanout> newest_with_id_;
    // fanouts_.back() and its id, read once a copy (null and empty while there is none).
    Fanout* newest_ = nullptr;
    std::string_view newest_id_;
    std::size_t tracked_ = 0;  // copies in fanouts_, answered or not
    std::uint64_t forgotten_ = 0;
};

}  // namespace offline
