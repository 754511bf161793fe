#pragma once
// One stanza a client sent or received, with the fields tests and transcripts look at taken
// out once, when it is recorded. The serialized XML is kept for failure messages.
#include <string>
#include <vector>

typedef struct _xmpp_stanza_t xmpp_stanza_t;  // libstrophe's, as in <strophe.h>

namespace rig {

enum class Direction { sent, received };

struct StanzaRecord {
    double t = 0;        // seconds since the stack started
    std::string client;  // the label of the client that sent or got it
    Direction direction = Direction::received;
    std::string xml;
    std::string name;  // message, presence, iq
    std::string type;  // empty when the attribute is absent (an available presence)
    std::string from;
    std::string to;
    std::string id;
    bool has_body = false;
    std::string body;
    bool has_subject = false;
    std::string subject;
    std::vector<int> status_codes;  // XEP-0045 muc#user <status code='...'/>, in order
    std::string payload_ns;         // namespace of an iq's first child, e.g. disco#info
    std::string error_condition;    // RFC 6120 §8.3.3 condition of an <error/>, if any
    bool has_delay = false;         // XEP-0203 <delay/>: history, not live traffic

    bool has_status(int code) const;
};

// Fills everything but t, client and direction.
StanzaRecord record_stanza(xmpp_stanza_t* stanza);

}  // namespace rig
