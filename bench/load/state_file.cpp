#include "state_file.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "relay.hpp"

namespace bench {

void write_state_json(const std::filesystem::path& file, const RoomShape& rooms, int fanout_members,
                      int bystanders) {
    std::ofstream out(file);
    out << "{\"muc-offline-proxy-state\": 1, \"links\": {\"" << kDomain
        << "\": {\"paused\": [], \"registrations\": [";
    bool first = true;
    auto registration = [&](const std::string& room, const std::string& jid,
                            const std::string& nick, bool offline) {
        out << (first ? "\n" : ",\n") << "{\"room\":\"" << room << "\",\"jid\":\"" << jid
            << "\",\"nick\":\"" << nick << "\",\"offline\":" << (offline ? "true" : "false") << "}";
        first = false;
    };
    for (int r = 0; r < rooms.rooms; ++r) {
        const std::string room = rooms.room(r);
        for (int i = 0; i < rooms.registrations; ++i) {
            const bool offline =
                std::find(rooms.opted_in.begin(), rooms.opted_in.end(), i) != rooms.opted_in.end();
            registration(room, rooms.member(r, i), "n" + std::to_string(i), offline);
        }
    }
    for (int k = 0; k < fanout_members; ++k)
        registration(fanout_room(), fanout_member(k), "f" + std::to_string(k), true);
    for (int k = 0; k < bystanders; ++k)
        registration(fanout_room(), "b" + std::to_string(k) + "@localhost", "b" + std::to_string(k),
                     false);
    out << "\n]}}}\n";
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

void import_state(const std::string& proxy_binary, const std::filesystem::path& json,
                  const std::filesystem::path& store) {
    std::filesystem::remove(store);
    const auto log = store.string() + ".import.log";
    const std::string command = "'" + proxy_binary + "' state import --store '" + store.string() +
                                "' '" + json.string() + "' > '" + log + "' 2>&1";
    if (std::system(command.c_str()) != 0)
        throw std::runtime_error("state import failed:\n" + tail_of(log, 10));
}

}  // namespace bench
