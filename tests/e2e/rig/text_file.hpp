#pragma once
// Whole-file reads and writes for config files and logs. Logs are small (a test run), so
// reading them whole to take a tail or search a line is fine.
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace rig {

void write_text_file(const std::filesystem::path& path, std::string_view text);

// Empty string when the file does not exist (a process that never started has no log).
std::string read_text_file(const std::filesystem::path& path);

// The last `lines` lines of a file, each ending with '\n'.
std::string tail_lines(const std::filesystem::path& path, std::size_t lines);

bool file_contains(const std::filesystem::path& path, std::string_view needle);

}  // namespace rig
