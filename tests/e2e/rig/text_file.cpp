#include "text_file.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace rig {

void write_text_file(const std::filesystem::path& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read_text_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string tail_lines(const std::filesystem::path& path, std::size_t lines) {
    std::string text = read_text_file(path);
    if (text.empty() || lines == 0) return {};
    if (text.back() != '\n') text.push_back('\n');
    std::size_t start = text.size() - 1;  // the final '\n'
    std::size_t seen = 0;
    while (start > 0) {
        if (text[start - 1] == '\n' && ++seen == lines) break;
        --start;
    }
    return text.substr(start);
}

bool file_contains(const std::filesystem::path& path, std::string_view needle) {
    return read_text_file(path).find(needle) != std::string::npos;
}

}  // namespace rig
