#include "offline/register_form.hpp"

#include <cstring>

#include "offline/tree_edit.hpp"

namespace offline {
namespace {

bool is(xmpp_stanza_t* element, const char* name) {
    const char* n = xmpp_stanza_get_name(element);
    return xmpp_stanza_is_tag(element) && n != nullptr && std::strcmp(n, name) == 0;
}

void append_value(xmpp_stanza_t* field, std::string_view value) {
    append_text(append_element(field, "value"), value);
}

}  // namespace

std::optional<bool> parse_form_boolean(std::string_view text) {
    if (text == "1" || text == "true") return true;
    if (text == "0" || text == "false") return false;
    return std::nullopt;
}

xmpp_stanza_t* find_field(xmpp_stanza_t* form, std::string_view var) {
    if (form == nullptr) return nullptr;
    for (xmpp_stanza_t* c = xmpp_stanza_get_children(form); c != nullptr;
         c = xmpp_stanza_get_next(c)) {
        if (is(c, "field") && xmpp::attribute(c, "var") == var) return c;
    }
    return nullptr;
}

std::string field_value(xmpp_stanza_t* field) {
    return xmpp::text_of(xmpp::child(field, "value", nullptr));
}

std::string form_type(xmpp_stanza_t* form) {
    return field_value(find_field(form, "FORM_TYPE"));
}

xmpp_stanza_t* find_register_form(xmpp_stanza_t* query, bool allow_untyped) {
    if (query == nullptr) return nullptr;
    for (xmpp_stanza_t* c = xmpp_stanza_get_children(query); c != nullptr;
         c = xmpp_stanza_get_next(c)) {
        if (!is(c, "x") || xmpp::attribute(c, "xmlns") != kDataFormsNs) continue;
        if (find_field(c, "FORM_TYPE") == nullptr) {
            if (allow_untyped) return c;
        } else if (form_type(c) == kRegisterFormType) {
            return c;
        }
    }
    return nullptr;
}

RegisterSubmit read_submit(xmpp_stanza_t* form) {
    RegisterSubmit submit;
    if (xmpp_stanza_t* nick = find_field(form, kRoomNickVar); nick != nullptr) {
        submit.nick = field_value(nick);
    }
    if (xmpp_stanza_t* offline = find_field(form, kOfflineVar); offline != nullptr) {
        submit.has_offline_field = true;
        submit.offline = parse_form_boolean(field_value(offline));
    }
    return submit;
}

void append_offline_field(xmpp_stanza_t* form, bool offline) {
    xmpp_stanza_t* field = append_element(
        form, "field", {{"type", "boolean"}, {"label", kOfflineLabel}, {"var", kOfflineVar}});
    append_value(field, offline ? "1" : "0");
}

xmpp::StanzaTree new_register_form(std::string_view nick, bool offline) {
    xmpp::StanzaTree form = new_tree("x", {{"xmlns", kDataFormsNs}, {"type", "form"}});
    xmpp_stanza_t* form_type_field =
        append_element(form.root(), "field", {{"type", "hidden"}, {"var", "FORM_TYPE"}});
    append_value(form_type_field, kRegisterFormType);
    xmpp_stanza_t* nick_field =
        append_element(form.root(), "field",
                       {{"type", "text-single"}, {"label", "Nickname"}, {"var", kRoomNickVar}});
    if (!nick.empty()) append_value(nick_field, nick);
    append_offline_field(form.root(), offline);
    return form;
}

}  // namespace offline
