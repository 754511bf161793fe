// Records every chunk read on a link as JSON Lines, in the format of the reference captures
// ({"t", "dir", "data"}; plus "link" and "session" so one file can hold several), so real
// traffic can be replayed as a test.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "xmpp/stanza_filter.hpp"

namespace net {

class CaptureFile {
  public:
    // Returns false (and sets `error`) when the file cannot be opened for appending.
    bool open(const std::string& path, std::string& error);
    ~CaptureFile();

    bool enabled() const { return file_ != nullptr; }
    void record(double seconds, xmpp::Direction direction, std::string_view link, unsigned session,
                std::string_view data);
    void flush();

  private:
    std::FILE* file_ = nullptr;
};

// Splits a byte stream into chunks that are whole UTF-8 sequences: a multi-byte character cut
// by a read goes with the next chunk, as the reference captures do.
class Utf8Carry {
  public:
    // Returns the longest prefix of carry+bytes that ends on a character boundary, keeping the
    // rest for next time. The view is valid until the next call.
    std::string_view complete(std::string_view bytes);

  private:
    std::string joined_;
    std::string carry_;
};

}  // namespace net
