#include "offline/tagged_id.hpp"

#include "xml/start_tag.hpp"
#include "xmpp/stream_text.hpp"

namespace offline {

std::string with_id(std::string_view raw, std::string_view id) {
    const auto span = xml::find_attribute(raw, "id");
    if (!span) return std::string(raw);
    std::string out;
    out.reserve(raw.size() + id.size() + 16);
    out.append(raw.substr(0, span->offset));
    out += xmpp::escape_xml(id);
    out.append(raw.substr(span->offset + span->length));
    return out;
}

}  // namespace offline
