#include "net/capture.hpp"

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

namespace net {

bool CaptureFile::open(const std::string& path, std::string& error) {
    file_ = std::fopen(path.c_str(), "a");
    if (file_ == nullptr) {
        error = path + ": cannot open capture file: " + std::strerror(errno);
        return false;
    }
    return true;
}

CaptureFile::~CaptureFile() {
    if (file_ != nullptr) std::fclose(file_);
}

void CaptureFile::record(double seconds, xmpp::Direction direction, std::string_view link,
                         unsigned session, std::string_view data) {
    if (file_ == nullptr) return;
    char t[32];
    std::snprintf(t, sizeof t, "%.6f", seconds);
    nlohmann::json text = std::string(data);
    std::string line = "{\"t\": ";
    line += t;
    line += ", \"dir\": \"";
    line += xmpp::direction_name(direction);
    line += "\", \"data\": ";
    // Invalid UTF-8 would make the record unreadable; it is replaced, and the framer will
    // refuse such a stream anyway.
    line += text.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    line += ", \"link\": ";
    line += nlohmann::json(std::string(link)).dump();
    line += ", \"session\": ";
    line += std::to_string(session);
    line += "}\n";
    std::fwrite(line.data(), 1, line.size(), file_);
}

void CaptureFile::flush() {
    if (file_ != nullptr) std::fflush(file_);
}

std::string_view Utf8Carry::complete(std::string_view bytes) {
    joined_.assign(carry_);
    joined_.append(bytes);
    carry_.clear();
    // Look back over at most three bytes for the lead byte of an unfinished sequence.
    std::size_t n = joined_.size();
    for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
        unsigned char c = static_cast<unsigned char>(joined_[n - back]);
        if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking
        std::size_t length = (c & 0x80) == 0      ? 1
                             : (c & 0xE0) == 0xC0 ? 2
                             : (c & 0xF0) == 0xE0 ? 3
                             : (c & 0xF8) == 0xF0 ? 4
                                                  : 1;
        if (length > back) {
            carry_ = joined_.substr(n - back);
            joined_.resize(n - back);
        }
        break;
    }
    return joined_;
}

}  // namespace net
