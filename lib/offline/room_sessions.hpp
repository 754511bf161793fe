// The occupant sessions of one room, packed for a proxy that holds hundreds of thousands: each
// session is one cache line holding its full JID and nick (a heap block holds longer ones), and
// two open-addressing indexes of small slots find a session by full JID and a member by bare
// JID. A node-based map spent about 190 bytes a session on nodes, buckets and a second copy of
// the JID's allocation; this spends about 100.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace offline {

class RoomSessions {
  public:
    enum class Entered { added, renamed, unchanged, refused };
    // What a prepared JID and a nick (a prepared resourcepart) can be at most (RFC 7622 §3:
    // 1,023 bytes a part); nothing longer is kept.
    static constexpr std::size_t kMaxFullJidBytes = 3 * 1023 + 2;
    static constexpr std::size_t kMaxNickBytes = 1023;
    static bool fits(std::string_view full_jid, std::string_view nick) {
        return full_jid.size() <= kMaxFullJidBytes && nick.size() <= kMaxNickBytes;
    }

    // Starts the session of `full_jid`, or gives it `nick` (an empty nick keeps the one known);
    // refused when they do not fit.
    // `kept_nick`, when given, receives a view of the session's nick now (unless unchanged).
    // `full_jid_hash`, when given, is text_hash(full_jid), known already.
    Entered enter(std::string_view full_jid, std::string_view nick,
                  std::string_view* kept_nick = nullptr,
                  std::optional<std::uint64_t> full_jid_hash = std::nullopt);
    // False when there is no such session (or, for a rename, the nick does not fit).
    bool leave(std::string_view full_jid);
    bool rename(std::string_view full_jid, std::string_view nick);

    // Views into the session's block: valid until the session changes or goes.
    std::optional<std::string_view> nick_of(std::string_view full_jid) const;
    // Whether `full_jid` (whose text_hash is given) is a session's, byte for byte.
    bool has_session(std::string_view full_jid, std::uint64_t full_jid_hash) const;
    // Whether any session's full JID has this bare part.
    bool has_member(std::string_view bare_jid) const;
    // Asks the CPU to start loading the full-JID index and the first sessions of a room just
    // looked up after it went cold: a broadcast then checks each copy's recipient against
    // them, and the loads overlap instead of waiting for each other, one session line at a
    // time. A hint only; nothing changes.
    void prefetch() const;
    std::size_t size() const { return sessions_.size(); }
    bool empty() const { return sessions_.empty(); }

    // visit(full JID, its text_hash) for every session.
    template <typename Visit>
    void for_each_full_jid(Visit visit) const {
        for (const Session& s : sessions_) visit(s.full_jid(), s.full_hash);
    }

  private:
    // Every copy the MUC broadcasts is matched against its recipient's session, in a room
    // gone cold since its last message: with the text in the session's own cache line, a
    // match reads the index slot and this line, not a third place.
    static constexpr std::size_t kSessionBytes = 64;
    static constexpr std::size_t kInlineBytes =
        kSessionBytes - sizeof(void*) - sizeof(std::uint64_t) - 3 * sizeof(std::uint16_t);
    struct alignas(kSessionBytes) Session {
        std::unique_ptr<char[]> spilled;  // the text, when longer than kInlineBytes
        // text_hash(full JID), whole: a broadcast's recipients are matched by it without
        // hashing every session's JID again (the index slots keep its low half).
        std::uint64_t full_hash = 0;
        std::uint16_t full_length = 0;
        std::uint16_t bare_length = 0;
        std::uint16_t nick_length = 0;
        char inline_text[kInlineBytes];  // the full JID, then the nick

        const char* text() const { return spilled ? spilled.get() : inline_text; }
        std::string_view full_jid() const { return {text(), full_length}; }
        std::string_view bare_jid() const { return {text(), bare_length}; }
        std::string_view nick() const { return {text() + full_length, nick_length}; }
        // `full_jid` and `nick` must fit; either may be this session's own.
        void set(std::string_view full_jid, std::string_view nick);
    };
    static_assert(sizeof(Session) == kSessionBytes);
    // Index slots: `session` is 1 + the index in sessions_, 0 for a free slot; `hash` is kept
    // so a probe compares slots in sequence without visiting the sessions.
    struct FullSlot {
        std::uint32_t hash = 0;
        std::uint32_t session = 0;
    };
    struct MemberSlot {
        std::uint32_t hash = 0;
        std::uint32_t session = 0;  // one of the member's sessions
        std::uint32_t sessions = 0;
    };

    std::size_t find_full(std::string_view full_jid, std::uint32_t hash) const;
    std::size_t find_member(std::string_view bare_jid, std::uint32_t hash) const;
    void index_member(std::uint32_t session);
    void unindex_member(std::uint32_t session);
    // The session at `index` leaves; the last one takes its place.
    void remove(std::uint32_t index);
    void grow_for_one_more();
    void shrink_if_sparse();
    // Both indexes anew, at these sizes (powers of 2), from sessions_.
    void rebuild(std::size_t full_slots, std::size_t member_slots);

    std::vector<Session> sessions_;
    std::vector<FullSlot> by_full_jid_;
    std::vector<MemberSlot> by_member_;
    std::size_t members_ = 0;
};

}  // namespace offline
