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
        auto operator<=>(const Key&) const = default;
    };
    void evict_soonest();

    std::map<Key, PendingIq> entries_;
    xmpp::Moment earliest_ = xmpp::Moment::max();  // no entry expires before this
    std::size_t capacity_;
};

}  // namespace offline
