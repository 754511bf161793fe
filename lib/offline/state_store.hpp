// What of the feature's state must survive a restart. lib/offline only describes changes (as
// decisions); lib/store writes them (SQLite) and reads them back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "offline/registrations.hpp"
#include "xmpp/stanza_filter.hpp"

namespace offline {

struct StateChange {
    enum class Kind {
        put_registration,     // room, member, registration
        remove_registration,  // room, member
        put_session,          // room, member (the occupant's full JID), registration.nick
        remove_session,       // room, member (full JID)
        put_member,           // member: paused, bounce streak, notices
    };
    Kind kind;
    std::string room;
    std::string member;
    Registration registration;
    bool paused = false;
    std::uint32_t bounce_streak = 0;
    bool notices = false;  // switched to notices by delivery "auto"
    // put_session: the session began with this change, so its row did not exist before it.
    bool began = false;
    std::int64_t at_ms = 0;  // when the change happened (the filter's clock)
};

struct StoredRegistration {
    std::string room;
    std::string member;
    Registration registration;
    std::int64_t updated_ms = 0;
};

struct StoredSession {
    std::string room;
    std::string full_jid;
    std::string nick;
};

struct StoredMember {
    std::string member;
    bool paused = false;
    std::uint32_t bounce_streak = 0;
    bool notices = false;
};

// Everything stored for one link.
struct StoredState {
    std::vector<StoredRegistration> registrations;
    std::vector<StoredSession> sessions;
    std::vector<StoredMember> members;
};

// A change as the filter decides it: an xmpp::StateRecord decision, in order with the others,
// so that a persist after it waits for it. The link hands it to lib/durable, which batches it
// into the store.
struct StateChangeRecord : xmpp::StateRecord {
    explicit StateChangeRecord(StateChange kept) : change(std::move(kept)) {}
    StateChange change;
};

}  // namespace offline
