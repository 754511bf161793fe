#include "push_service.hpp"

#include <strophe.h>

#include <cstring>
#include <sstream>
#include <stdexcept>

#include "pump.hpp"
#include "xmpp/stream_text.hpp"

namespace rig {
namespace {

constexpr const char* kPubsubNs = "http://jabber.org/protocol/pubsub";
constexpr const char* kDataFormsNs = "jabber:x:data";

std::string attribute(xmpp_stanza_t* stanza, const char* name) {
    const char* value = xmpp_stanza_get_attribute(stanza, name);
    return value != nullptr ? value : "";
}

std::string text_of(xmpp_stanza_t* element) {
    char* text = xmpp_stanza_get_text(element);
    std::string result = text != nullptr ? text : "";
    if (text != nullptr) xmpp_free(xmpp_stanza_get_context(element), text);
    return result;
}

// XEP-0004 §3.2: the first <value/> of the field named `var`, if the form has that field.
bool field_value(xmpp_stanza_t* form, const std::string& var, std::string& out) {
    for (xmpp_stanza_t* field = xmpp_stanza_get_children(form); field != nullptr;
         field = xmpp_stanza_get_next(field)) {
        if (!xmpp_stanza_is_tag(field) || std::strcmp(xmpp_stanza_get_name(field), "field") != 0 ||
            attribute(field, "var") != var) {
            continue;
        }
        xmpp_stanza_t* value = xmpp_stanza_get_child_by_name(field, "value");
        out = value != nullptr ? text_of(value) : "";
        return true;
    }
    return false;
}

// XEP-0357 §7: item/notification/x[FORM_TYPE=urn:xmpp:push:summary].
void read_summary(xmpp_stanza_t* publish, PushPublish& record) {
    xmpp_stanza_t* item = xmpp_stanza_get_child_by_name(publish, "item");
    xmpp_stanza_t* notification =
        item != nullptr ? xmpp_stanza_get_child_by_name_and_ns(item, "notification", kPushNs)
                        : nullptr;
    xmpp_stanza_t* form = notification != nullptr ? xmpp_stanza_get_child_by_name_and_ns(
                                                        notification, "x", kDataFormsNs)
                                                  : nullptr;
    std::string form_type;
    if (form == nullptr || !field_value(form, "FORM_TYPE", form_type) ||
        form_type != kPushSummaryForm) {
        return;
    }
    record.has_summary = true;
    field_value(form, "message-count", record.message_count);
    field_value(form, "last-message-sender", record.last_message_sender);
    field_value(form, "last-message-body", record.last_message_body);
}

}  // namespace

bool read_publish(xmpp_stanza_t* iq, PushPublish& out) {
    xmpp_stanza_t* pubsub = xmpp_stanza_get_child_by_name_and_ns(iq, "pubsub", kPubsubNs);
    xmpp_stanza_t* publish =
        pubsub != nullptr ? xmpp_stanza_get_child_by_name(pubsub, "publish") : nullptr;
    if (publish == nullptr) return false;
    out.node = attribute(publish, "node");
    out.has_publish_options = xmpp_stanza_get_child_by_name(pubsub, "publish-options") != nullptr;
    read_summary(publish, out);
    return true;
}

namespace {

std::string describe(const std::vector<PushPublish>& publishes, std::size_t since) {
    if (publishes.size() <= since) return "no publish at all";
    std::ostringstream out;
    out << "these publishes:";
    for (std::size_t i = since; i < publishes.size(); ++i) out << "\n    " << publishes[i].xml;
    return out.str();
}

}  // namespace

PushService::PushService(Stack& stack, const std::string& user, const std::string& resource)
    : stack_(stack), client_(stack.login(user, resource, "push-service")) {
    client_.on_receive(
        [this](Client& client, xmpp_stanza_t* stanza) { on_stanza(client, stanza); });
}

void PushService::on_stanza(Client& client, xmpp_stanza_t* stanza) {
    const char* name = xmpp_stanza_get_name(stanza);
    const std::string type = attribute(stanza, "type");
    if (name == nullptr || std::strcmp(name, "iq") != 0 || (type != "set" && type != "get")) {
        return;
    }
    const std::string from = attribute(stanza, "from");
    const std::string id = attribute(stanza, "id");
    const std::string reply_head =
        "<iq to='" + xmpp::escape_xml(from) + "' id='" + xmpp::escape_xml(id) + "' type=";
    PushPublish record;
    if (type != "set" || !read_publish(stanza, record)) {
        // RFC 6120 §8.4: an iq nobody here handles still gets an answer.
        client.send(reply_head +
                    "'error'><error type='cancel'><service-unavailable "
                    "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
        return;
    }
    record.t = seconds_since(stack_.epoch());
    record.from = from;
    record.id = id;
    record.xml = client.received().back().xml;
    publishes_.push_back(std::move(record));
    client.send(reply_head + "'result'/>");
}

std::vector<PushPublish> PushService::publishes_for(const std::string& node,
                                                    std::size_t since) const {
    std::vector<PushPublish> found;
    for (std::size_t i = since; i < publishes_.size(); ++i) {
        if (publishes_[i].node == node) found.push_back(publishes_[i]);
    }
    return found;
}

PushPublish PushService::expect_publish(const std::string& node, std::size_t since,
                                        Millis timeout) {
    try {
        stack_.wait_until([&] { return !publishes_for(node, since).empty(); },
                          "a push publish for node '" + node + "' at " + jid(), timeout);
    } catch (const std::runtime_error& timed_out) {
        throw std::runtime_error(std::string(timed_out.what()) + "; the push service got " +
                                 describe(publishes_, since));
    }
    return publishes_for(node, since).front();
}

bool PushService::publish_arrives_within(const std::string& node, std::size_t since,
                                         Millis window) {
    return pump_until(
        stack_.clients(), [&] { return !publishes_for(node, since).empty(); },
        Deadline::in(window));
}

StanzaRecord enable_push(Stack& stack, Client& member, const std::string& service_jid,
                         const std::string& node) {
    const std::string id = member.next_id("push-enable");
    const std::size_t since = member.mark();
    // No 'to': XEP-0357 §5 addresses the user's own account.
    member.send("<iq type='set' id='" + xmpp::escape_xml(id) + "'><enable xmlns='" + kPushNs +
                "' jid='" + xmpp::escape_xml(service_jid) + "' node='" + xmpp::escape_xml(node) +
                "'/></iq>");
    return stack.expect(member, StanzaPattern::iq().id(id), since);
}

}  // namespace rig
