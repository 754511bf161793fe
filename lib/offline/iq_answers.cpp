#include "offline/iq_answers.hpp"

#include "offline/register_form.hpp"
#include "offline/tree_edit.hpp"

namespace offline {
namespace {

constexpr char kStanzaErrorsNs[] = "urn:ietf:params:xml:ns:xmpp-stanzas";

xmpp::StanzaTree answer(const IqAddress& address, const char* type) {
    return new_tree(
        "iq", {{"type", type}, {"from", address.from}, {"to", address.to}, {"id", address.id}});
}

}  // namespace

std::string empty_result(const IqAddress& address) {
    xmpp::StanzaTree iq = answer(address, "result");
    return serialize_stanza(iq);
}

std::string register_result(const IqAddress& address, xmpp::StanzaTree form) {
    xmpp::StanzaTree iq = answer(address, "result");
    xmpp_stanza_t* query = append_element(iq.root(), "query", {{"xmlns", kRegisterNs}});
    adopt_child(query, std::move(form));
    return serialize_stanza(iq);
}

std::string iq_error(const IqAddress& address, const StanzaError& error) {
    xmpp::StanzaTree iq = answer(address, "error");
    xmpp_stanza_t* element = append_element(iq.root(), "error", {{"type", error.type}});
    append_element(element, error.condition, {{"xmlns", kStanzaErrorsNs}});
    xmpp_stanza_t* text =
        append_element(element, "text", {{"xmlns", kStanzaErrorsNs}, {"xml:lang", "en"}});
    append_text(text, error.text);
    return serialize_stanza(iq);
}

}  // namespace offline
