#include "stanza_pattern.hpp"

namespace rig {

StanzaPattern& StanzaPattern::type(std::string value) {
    type_ = std::move(value);
    return *this;
}

StanzaPattern& StanzaPattern::from(std::string value) {
    from_ = std::move(value);
    return *this;
}

StanzaPattern& StanzaPattern::id(std::string value) {
    id_ = std::move(value);
    return *this;
}

StanzaPattern& StanzaPattern::body(std::string value) {
    body_ = std::move(value);
    return *this;
}

StanzaPattern& StanzaPattern::status(int code) {
    status_ = code;
    return *this;
}

bool StanzaPattern::matches(const StanzaRecord& record) const {
    if (record.name != name_) return false;
    if (type_ && record.type != *type_) return false;
    if (from_ && record.from != *from_) return false;
    if (id_ && record.id != *id_) return false;
    if (body_ && (!record.has_body || record.body != *body_)) return false;
    if (status_ && !record.has_status(*status_)) return false;
    return true;
}

std::string StanzaPattern::describe() const {
    std::string text = name_;
    if (type_) text += " type=" + (type_->empty() ? std::string("(none)") : *type_);
    if (from_) text += " from=" + *from_;
    if (id_) text += " id=" + *id_;
    if (body_) text += " body=\"" + *body_ + "\"";
    if (status_) text += " status=" + std::to_string(*status_);
    return text;
}

}  // namespace rig
