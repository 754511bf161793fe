// Requests the MUC has not answered yet, whose answer decides something: a register get
// (its form gets the offline field), a submit or <remove/> (committed only on `result`), an
// affiliation change or a room destruction (registrations removed only on `result`).
// An iq's answer comes from the addressee to the requester with the same id (RFC 6120 §8.2.3),
// so the key is (room, requester full JID, id), all prepared.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "offline/registrations.hpp"
#include "xmpp/stanza_filter.hpp"

namespace offline {

struct PendingIq {
    enum class Kind {
        form_request,  // iq get jabber:iq:register
        submit,        // iq set with a submitted form: `choice` commits on result
        remove,        // iq set with <remove/>
        revoke,        // muc#admin affiliation none/outcast: `members` lose their registration
        destroy,       // muc#owner <destroy/>: the room's registrations go
    };
    Kind kind = Kind::form_request;
    Registration choice;
    std::vector<std::string> members;  // prepared bare JIDs
    xmpp::Moment expires{};
};

class PendingIqs {
  public:
    // At most `capacity` requests wait at once; beyond it the one closest to expiry is
    // dropped, so a flood of requests the MUC never answers cannot grow memory.
    explicit PendingIqs(std::size_t capacity = 4096) : capacity_(capacity) {}

    // Remembers a request; a second one with the same key replaces the first.
    void add(const std::string& room, const std::string& requester, const std::string& id,
             PendingIq iq);
    // Removes and returns the request this answer belongs to, if it is still waiting.
    std::optional<PendingIq> take(std::string_view room, std::string_view requester,
                                  std::string_view id, xmpp::Moment now);
    // Forgets every request that expired before `now`; cheap when none did.
    void purge(xmpp::Moment now);

    bool empty() const { return entries_.empty(); }
    std::size_t size() const { return entries_.size(); }

  private:
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
    // Expiry order, so that evicting and purging never scan: a flood of requests the MUC
    // never answers costs O(log n) per request, not O(capacity).
    using ExpiryOrder = std::multimap<xmpp::Moment, const Key*>;
    struct Entry {
        PendingIq iq;
        ExpiryOrder::iterator expiry;
    };

    void erase(Entries::iterator entry);

    Entries entries_;
    ExpiryOrder expiry_;
    std::size_t capacity_;
};

}  // namespace offline
