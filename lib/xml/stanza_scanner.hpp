// The framer's fast path: finds where a top-level element ends and builds its view without
// expat, for the plain XML that stanzas are made of. It vouches only for what it fully
// understands (ASCII names, unprefixed elements, xml:lang, default namespace declarations,
// the five predefined entities, character references, CDATA sections, valid UTF-8) and checks
// everything expat would check on that subset; anything else is "unsure" and the framer hands
// the element to expat, which stays the authority on every verdict. So the scanner never
// rejects anything itself: it either accepts an element expat would accept, with the same
// view, or gives up.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "xml/element_view.hpp"
#include "xml/tokens.hpp"

namespace xml {

class StanzaScanner {
  public:
    enum class Verdict {
        complete,   // the element ends at end()
        need_more,  // well-formed so far; call scan() again with the same bytes and more
        unsure,     // hand the element to expat
    };
    // One token's outcome, inside the scan.
    using Step = tokens::Step;

    // Forgets the element being scanned.
    void reset();

    // `unit` starts at the element's '<' and runs to the end of the bytes received so far.
    // Resumes where the last call stopped, so a stanza fed in many pieces is scanned about
    // once.
    Verdict scan(std::string_view unit);

    std::size_t end() const { return end_; }
    // Whether the top element's start tag is complete (expat would be inside the stanza).
    bool inside_top() const { return !stack_.empty() || end_ != 0; }

    // After a complete scan of `unit`: keeps it as the model of repeat() when its start tag
    // has a `to` attribute (a MUC sends each occupant the same message but for `to`).
    void remember_for_repeats(std::string_view unit);
    // `unit` starts at an element's '<'. When its bytes are the model's but for a valid `to`
    // value (the rest compared, not scanned), it becomes the element scanned, and its size is
    // returned; otherwise 0, and nothing changed. Valid because only the value differs from
    // bytes already checked.
    std::size_t repeat(std::string_view unit);

    // The view expat would build for the complete element `unit`, whose parent's default
    // namespace is `inherited_ns`.
    void fill(ElementView& view, std::string_view unit, std::string_view inherited_ns) const;

  private:
    struct Span {
        std::size_t offset = 0;
        std::size_t length = 0;
        std::string_view in(std::string_view unit) const { return unit.substr(offset, length); }
    };
    struct ScannedAttribute {
        Span name;
        Span value;  // raw, between the quotes
        bool xml_lang = false;
        bool has_references = false;
    };
    struct ScannedChild {
        Span name;
        Span ns;  // its own xmlns value, when has_ns
        bool has_ns = false;
    };
    struct StartTag {
        Span name;
        Span ns;
        bool has_ns = false;
        bool empty = false;   // ends with "/>"
        std::size_t end = 0;  // one past its '>'
    };
    Step scan_start_tag(std::string_view unit, std::size_t& at, StartTag& tag, bool top);
    Step scan_end_tag(std::string_view unit, std::size_t& at) const;

    std::size_t resume_ = 0;  // a token boundary: everything before it is checked
    std::size_t end_ = 0;
    std::vector<Span> stack_;  // open elements' names, the top element first
    StartTag top_;
    std::vector<ScannedAttribute> attributes_;  // the top element's, xmlns left out
    std::vector<ScannedChild> children_;
    std::vector<Span> tag_names_;  // one start tag's attribute names, for the duplicate check
    // The model of repeat(): the remembered element's bytes before and after its `to` value,
    // whose attribute is attributes_[repeat_to_] (the state above is still that element's).
    static constexpr std::size_t kNoRepeat = static_cast<std::size_t>(-1);
    std::size_t repeat_to_ = kNoRepeat;
    std::string repeat_prefix_;
    std::string repeat_suffix_;
};

}  // namespace xml
