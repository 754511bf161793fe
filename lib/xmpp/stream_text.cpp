#include "xmpp/stream_text.hpp"

namespace xmpp {

std::string escape_xml(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '\'':
                out += "&apos;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string server_stream_header(std::string_view from, std::string_view id) {
    std::string out = "<?xml version='1.0'?><stream:stream xmlns:stream='";
    out += kStreamsNs;
    out += "' xmlns='";
    out += kComponentAcceptNs;
    out += "' from='";
    out += escape_xml(from);
    out += "' id='";
    out += escape_xml(id);
    out += "'>";
    return out;
}

std::string stream_error(std::string_view condition, std::string_view text) {
    std::string out = "<stream:error xmlns:stream='";
    out += kStreamsNs;
    out += "'><";
    out += condition;
    out += " xmlns='";
    out += kStreamErrorsNs;
    out += "'/>";
    if (!text.empty()) {
        out += "<text xmlns='";
        out += kStreamErrorsNs;
        out += "'>";
        out += escape_xml(text);
        out += "</text>";
    }
    out += "</stream:error>";
    return out;
}

std::string stream_close(std::string_view prefix) {
    if (prefix.empty()) return "</stream>";
    return "</" + std::string(prefix) + ":stream>";
}

}  // namespace xmpp
