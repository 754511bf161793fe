#include "stanza_record.hpp"

#include <strophe.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace rig {
namespace {

constexpr const char* kMucUserNs = "http://jabber.org/protocol/muc#user";
constexpr const char* kStanzaErrorNs = "urn:ietf:params:xml:ns:xmpp-stanzas";
constexpr const char* kDelayNs = "urn:xmpp:delay";

std::string text_of(const char* value) {
    return value != nullptr ? value : "";
}

// Child text, or nothing if there is no such child.
bool child_text(xmpp_stanza_t* stanza, const char* name, std::string& out) {
    xmpp_stanza_t* child = xmpp_stanza_get_child_by_name(stanza, name);
    if (child == nullptr) return false;
    char* text = xmpp_stanza_get_text(child);
    out = text_of(text);
    if (text != nullptr) xmpp_free(xmpp_stanza_get_context(stanza), text);
    return true;
}

}  // namespace

bool StanzaRecord::has_status(int code) const {
    return std::find(status_codes.begin(), status_codes.end(), code) != status_codes.end();
}

StanzaRecord record_stanza(xmpp_stanza_t* stanza) {
    StanzaRecord record;
    char* buffer = nullptr;
    size_t length = 0;
    if (xmpp_stanza_to_text(stanza, &buffer, &length) == XMPP_EOK) {
        record.xml.assign(buffer, length);
        xmpp_free(xmpp_stanza_get_context(stanza), buffer);
    }
    record.name = text_of(xmpp_stanza_get_name(stanza));
    record.type = text_of(xmpp_stanza_get_type(stanza));
    record.from = text_of(xmpp_stanza_get_from(stanza));
    record.to = text_of(xmpp_stanza_get_to(stanza));
    record.id = text_of(xmpp_stanza_get_id(stanza));
    record.has_body = child_text(stanza, "body", record.body);
    record.has_subject = child_text(stanza, "subject", record.subject);

    for (xmpp_stanza_t* child = xmpp_stanza_get_children(stanza); child != nullptr;
         child = xmpp_stanza_get_next(child)) {
        if (!xmpp_stanza_is_tag(child)) continue;
        const char* name = xmpp_stanza_get_name(child);
        std::string ns = text_of(xmpp_stanza_get_ns(child));
        if (record.name == "iq" && record.payload_ns.empty() && std::strcmp(name, "error") != 0) {
            record.payload_ns = ns;
        }
        if (ns == kDelayNs) record.has_delay = true;
        if (std::strcmp(name, "x") == 0 && ns == kMucUserNs) {
            for (xmpp_stanza_t* item = xmpp_stanza_get_children(child); item != nullptr;
                 item = xmpp_stanza_get_next(item)) {
                if (!xmpp_stanza_is_tag(item) ||
                    std::strcmp(xmpp_stanza_get_name(item), "status") != 0) {
                    continue;
                }
                const char* code = xmpp_stanza_get_attribute(item, "code");
                if (code != nullptr) record.status_codes.push_back(std::atoi(code));
            }
        }
        if (std::strcmp(name, "error") == 0) {
            for (xmpp_stanza_t* condition = xmpp_stanza_get_children(child); condition != nullptr;
                 condition = xmpp_stanza_get_next(condition)) {
                if (xmpp_stanza_is_tag(condition) &&
                    text_of(xmpp_stanza_get_ns(condition)) == kStanzaErrorNs &&
                    std::strcmp(xmpp_stanza_get_name(condition), "text") != 0) {
                    record.error_condition = xmpp_stanza_get_name(condition);
                    break;
                }
            }
        }
    }
    return record;
}

}  // namespace rig
