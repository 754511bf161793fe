#pragma once
// What a test waits for: a stanza of some kind with some fields set. Unset fields match
// anything. describe() is what a failure message says did not arrive.
#include <optional>
#include <string>

#include "stanza_record.hpp"

namespace rig {

class StanzaPattern {
  public:
    static StanzaPattern message() { return StanzaPattern("message"); }
    static StanzaPattern presence() { return StanzaPattern("presence"); }
    static StanzaPattern iq() { return StanzaPattern("iq"); }

    // "" matches a stanza without a type attribute (an available presence, a normal message).
    StanzaPattern& type(std::string value);
    StanzaPattern& from(std::string value);
    StanzaPattern& id(std::string value);
    StanzaPattern& body(std::string value);
    StanzaPattern& status(int code);  // a muc#user status code the stanza must carry

    bool matches(const StanzaRecord& record) const;
    std::string describe() const;  // "presence type=unavailable from=lobby@.../bob"

  private:
    explicit StanzaPattern(std::string name) : name_(std::move(name)) {}

    std::string name_;
    std::optional<std::string> type_;
    std::optional<std::string> from_;
    std::optional<std::string> id_;
    std::optional<std::string> body_;
    std::optional<int> status_;
};

}  // namespace rig
