// Requests the MUC has not answered yet, whose answer decides something: a register get
// (its form gets the offline field), a submit (committed only on `result`), a <remove/> or an
// affiliation change (registrations taken away at once, given back if the MUC refuses), a room
// destruction (registrations removed on `result`).
// An iq's answer comes from the addressee to the requester with the same id (RFC 6120 §8.2.3),
// so the key is (room, requester full JID, id), all prepared.
//
// Every byte of it comes from strangers (ids, JIDs, nicks), so the table is bounded in bytes,
// not entries. Form requests are best effort and the oldest goes first when room is needed; a
// request whose answer decides something the member or an admin is told is never evicted for
// another: one that does not fit beside those already waiting is not kept, and the caller
// refuses it up front.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "offline/registrations.hpp"
#include "offline/sequence_index.hpp"
#include "xmpp/stanza_filter.hpp"

namespace offline {

struct PendingIq {
    enum class Kind {
        form_request,  // iq get jabber:iq:register
        submit,        // iq set with a submitted form: `choice` commits on result
        remove,        // iq set with <remove/>
        revoke,        // muc#admin affiliation none/outcast
        destroy,       // muc#owner <destroy/>: the room's registrations go
    };
    Kind kind = Kind::form_request;
    Registration choice;
    bool tagged = false;               // submit: its id reached the MUC marked (tagged_id.hpp)
    std::vector<std::string> members;  // remove, revoke: prepared bare JIDs losing theirs
    // remove, revoke: what was taken away when the request was seen, given back on an error.
    std::vector<std::pair<std::string, Registration>> taken;
    xmpp::Moment expires{};

    bool decides() const { return kind != Kind::form_request; }
};

class PendingIqs {
  public:
    // Accounted per request on top of its strings: two tree nodes, the key, the entry
    // (about 330 bytes with libstdc++ on x86-64), rounded up.
    static constexpr std::size_t kEntryOverhead = 384;

    explicit PendingIqs(std::size_t max_bytes) : max_bytes_(max_bytes) {}
    // A lower budget applies at the next add.
    void set_max_bytes(std::size_t max_bytes) { max_bytes_ = max_bytes; }

    // Remembers a request; a second one with the same key replaces the first. False when it
    // is not kept: beside the deciding requests already waiting it would exceed max_bytes
    // (form requests are evicted, oldest first, to make room for any request).
    bool add(const std::string& room, const std::string& requester, const std::string& id,
             PendingIq iq);
    // The request this answer belongs to, if it is still waiting (not expired): no copy.
    const PendingIq* find(std::string_view room, std::string_view requester, std::string_view id,
                          xmpp::Moment now) const;
    // Removes and returns the request this answer belongs to, if it is still waiting.
    std::optional<PendingIq> take(std::string_view room, std::string_view requester,
                                  std::string_view id, xmpp::Moment now);
    // Forgets every request that expired before `now`; cheap when none did.
    void purge(xmpp::Moment now);
    // Between batches: the form requests' index makes its next table ready
    // (SequenceIndex::prepare_ahead), while unanswered requests make it grow.
    void prepare_ahead() { form_index_.prepare_ahead(); }
    // Steps of that index's next table populated by an add, prepare_ahead() not having got
    // there first.
    std::size_t populated_on_add() const { return form_index_.populated_on_put(); }

    bool empty() const { return entries_.empty() && forms_->live == 0; }
    std::size_t size() const { return entries_.size() + forms_->live; }
    std::size_t bytes() const { return bytes_; }
    // Form requests evicted, or not kept, for lack of room.
    std::uint64_t evictions() const { return evictions_; }

    static std::size_t bytes_of(std::string_view room, std::string_view requester,
                                std::string_view id, const PendingIq& iq);

  private:
    // Deciding requests (rare, never evicted, each with its own consequences).
    struct Key {
        std::string room;
        std::string requester;
        std::string id;
    };
    // Lookups by views, so that matching an answer builds no strings.
    struct KeyOrder {
        using is_transparent = void;
        static auto parts(const Key& key) {
            return std::tuple<std::string_view, std::string_view, std::string_view>(
                key.room, key.requester, key.id);
        }
        template <typename Tuple>
        static const Tuple& parts(const Tuple& views) {
            return views;
        }
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const {
            return parts(a) < parts(b);
        }
    };
    using KeyViews = std::tuple<std::string_view, std::string_view, std::string_view>;
    struct Entry;
    using Entries = std::map<Key, Entry, KeyOrder>;
    // Expiry order, so that purging never scans.
    using ExpiryOrder = std::multimap<xmpp::Moment, const Key*>;
    struct Entry {
        PendingIq iq;
        std::size_t bytes;
        ExpiryOrder::iterator expiry;
    };

    // Form requests: the common kind (every client asks for the form before it registers, and
    // a flood of them is what fills the table), all with one TTL, evicted oldest first. So
    // they wait in arrival order, which is their expiry order, found through a flat index of
    // (hash, arrival number): a request costs its key's one allocation, not five tree nodes
    // and their strings, and no tree walk of cache misses.
    struct FormRequest {
        std::string key;  // room NUL requester NUL id; empty once answered or forgotten
        PendingIq iq;
        std::size_t bytes = 0;
    };
    // What an answered (or forgotten) request's slot costs while it waits in the queue.
    static constexpr std::size_t kAnsweredSlotBytes = sizeof(FormRequest);
    static_assert(kAnsweredSlotBytes <= kEntryOverhead, "a request accounts its slot");
    struct FormQueue {
        std::deque<FormRequest> waiting;  // oldest first, answered ones among them
        std::uint64_t first = 0;          // arrival number of waiting.front()
        std::size_t live = 0;
        FormRequest& at(std::uint64_t arrival) { return waiting[arrival - first]; }
        const FormRequest& at(std::uint64_t arrival) const { return waiting[arrival - first]; }
    };
    struct KeyOfForm {
        FormQueue* queue;
        std::string_view operator()(std::uint64_t arrival) const { return queue->at(arrival).key; }
    };

    void erase(Entries::iterator entry);
    // The index key of a form request, in scratch_ (no allocation once it has grown).
    std::string_view form_key(std::string_view room, std::string_view requester,
                              std::string_view id) const;
    // The arrival number of the waiting form request under `key`, or SequenceIndex::kNone.
    std::uint64_t find_form(std::string_view key) const;
    void forget_form(std::uint64_t arrival);
    void evict_oldest_form();

    Entries entries_;
    ExpiryOrder expiry_;
    // On the heap, so that the index's pointer to it survives a move of the table.
    std::unique_ptr<FormQueue> forms_ = std::make_unique<FormQueue>();
    mutable SequenceIndex<KeyOfForm> form_index_{KeyOfForm{forms_.get()}};
    mutable std::string scratch_;
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;           // every entry
    std::size_t deciding_bytes_ = 0;  // entries that are not form requests
    std::uint64_t evictions_ = 0;
};

}  // namespace offline
