// Offline-delivery state for the proxy, made the way an operator would: an export-format
// JSON file loaded with `muc-offline-proxy state import` into a fresh store file.
#pragma once

#include <filesystem>
#include <string>

#include "room_traffic.hpp"

namespace bench {

// Registrations of every room of `rooms` (who opted in as it says) plus, when
// `fanout_members` > 0, that many opted-in members of the fan-out room, plus `bystanders`
// members of it who registered without opting in.
void write_state_json(const std::filesystem::path& file, const RoomShape& rooms, int fanout_members,
                      int bystanders = 0);

// Imports `json` into a new store at `store`; throws with the command's output on failure.
void import_state(const std::string& proxy_binary, const std::filesystem::path& json,
                  const std::filesystem::path& store);

}  // namespace bench
