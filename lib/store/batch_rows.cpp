#include "store/batch_rows.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <tuple>

namespace store {
namespace {

// Which table a change writes to.
int table_of(offline::StateChange::Kind kind) {
    using Kind = offline::StateChange::Kind;
    if (kind == Kind::put_registration || kind == Kind::remove_registration) return 0;
    if (kind == Kind::put_session || kind == Kind::remove_session) return 1;
    return 2;  // members, keyed by member alone
}

}  // namespace

std::vector<bool> needless_changes(
    const std::vector<std::pair<std::string, offline::StateChange>>& changes) {
    static const std::string kNoRoom;
    using Row = std::tuple<int, const std::string&, const std::string&, const std::string&>;
    const auto row = [&](std::uint32_t i) {
        const auto& [link, change] = changes[i];
        const int table = table_of(change.kind);
        return Row(table, link, table == 2 ? kNoRoom : change.room, change.member);
    };
    struct Keyed {
        std::uint64_t hash;
        std::uint32_t index;
    };
    std::vector<Keyed> keyed(changes.size());
    const std::hash<std::string> hash;
    for (std::uint32_t i = 0; i < keyed.size(); ++i) {
        const auto [table, link, room, member] = row(i);
        std::uint64_t h = hash(link) * 31 + static_cast<std::uint64_t>(table);
        h = (h ^ hash(room)) * 0x9e3779b97f4a7c15ull;
        keyed[i] = {(h ^ hash(member)) * 0x9e3779b97f4a7c15ull, i};
    }
    std::sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
        return a.hash < b.hash || (a.hash == b.hash && a.index < b.index);
    });
    using Kind = offline::StateChange::Kind;
    std::vector<bool> needless(changes.size(), false);
    std::size_t first = 0;  // in `keyed`: the first change to the current row
    for (std::size_t k = 0; k < keyed.size(); ++k) {
        const bool row_goes_on = k + 1 < keyed.size() && keyed[k].hash == keyed[k + 1].hash &&
                                 row(keyed[k].index) == row(keyed[k + 1].index);
        if (row_goes_on) {
            needless[keyed[k].index] = true;
            continue;
        }
        const offline::StateChange& began = changes[keyed[first].index].second;
        if (k != first && began.kind == Kind::put_session && began.began &&
            changes[keyed[k].index].second.kind == Kind::remove_session)
            needless[keyed[k].index] = true;
        first = k + 1;
    }
    return needless;
}

}  // namespace store
