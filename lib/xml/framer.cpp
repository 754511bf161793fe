#include "xml/framer.hpp"

#include <expat.h>

#include <cstring>
#include <string>

namespace xml {
namespace {

// Expat joins namespace URI, local name and prefix with this byte. XML 1.0 forbids it in
// names and attribute values, so it can never be part of the data.
constexpr char kNamespaceSeparator = '\x01';

void split_expat_name(const char* raw, QName& out) {
    const char* first = std::strchr(raw, kNamespaceSeparator);
    if (first == nullptr) {
        out.ns.clear();
        out.local.assign(raw);
        out.prefix.clear();
        return;
    }
    out.ns.assign(raw, first - raw);
    const char* local = first + 1;
    const char* second = std::strchr(local, kNamespaceSeparator);
    if (second == nullptr) {
        out.local.assign(local);
        out.prefix.clear();
    } else {
        out.local.assign(local, second - local);
        out.prefix.assign(second + 1);
    }
}

bool is_xml_whitespace(std::string_view bytes) {
    for (char c : bytes) {
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
    }
    return true;
}

}  // namespace

std::string_view condition_name(FrameErrorKind kind) {
    switch (kind) {
        case FrameErrorKind::none:
            return "none";
        case FrameErrorKind::not_well_formed:
            return "not-well-formed";
        case FrameErrorKind::restricted_xml:
            return "restricted-xml";
        case FrameErrorKind::policy_violation:
            return "policy-violation";
    }
    return "undefined-condition";
}

// Bytes are kept from the end of the last unit handed on (`consumed_`) to the end of what was
// fed, so that a unit's raw bytes can be sliced out when expat reports its end. Offsets are
// absolute stream positions, as XML_GetCurrentByteIndex reports them.
struct Framer::Parser {
    Framer& owner;
    XML_Parser expat;
    std::string held;  // bytes from absolute offset `held_base`
    long long held_base = 0;
    long long consumed = 0;  // absolute end of the last unit handed on
    int depth = 0;           // 0 outside the stream, 1 inside it, 2+ inside a stanza
    long long unit_start = 0;
    ElementView header;
    ElementView top;

    explicit Parser(Framer& framer) : owner(framer) {
        // Forcing UTF-8 ignores any other encoding a peer declares (RFC 6120 §11.6).
        expat = XML_ParserCreateNS("UTF-8", kNamespaceSeparator);
        XML_SetReturnNSTriplet(expat, 1);
        XML_SetUserData(expat, this);
        XML_SetElementHandler(expat, &Parser::start_element, &Parser::end_element);
        XML_SetCharacterDataHandler(expat, &Parser::character_data);
        XML_SetCommentHandler(expat, &Parser::comment);
        XML_SetProcessingInstructionHandler(expat, &Parser::processing_instruction);
        XML_SetStartDoctypeDeclHandler(expat, &Parser::doctype);
        XML_SetEntityDeclHandler(expat, &Parser::entity_declaration);
        // Expat 2.6 (backported to Debian's 2.5) may hold back a complete element until more
        // bytes arrive; a relay must hand it on at once.
        XML_SetReparseDeferralEnabled(expat, XML_FALSE);
    }
    ~Parser() { XML_ParserFree(expat); }

    long long event_start() const { return XML_GetCurrentByteIndex(expat); }
    long long event_end() const {
        return XML_GetCurrentByteIndex(expat) + XML_GetCurrentByteCount(expat);
    }
    std::string_view slice(long long from, long long to) const {
        return std::string_view(held).substr(from - held_base, to - from);
    }

    void restrict(const char* what) {
        owner.fail(FrameErrorKind::restricted_xml, what);
        XML_StopParser(expat, XML_FALSE);
    }

    static void fill(ElementView& view, const char* name, const char** attrs) {
        view.reset();
        split_expat_name(name, view.name);
        for (const char** a = attrs; *a != nullptr; a += 2) {
            Attribute& attribute = view.add_attribute();
            split_expat_name(a[0], attribute.name);
            attribute.value.assign(a[1]);
        }
    }

    static void start_element(void* data, const char* name, const char** attrs) {
        auto* self = static_cast<Parser*>(data);
        if (self->owner.stopped_) return;
        switch (self->depth++) {
            case 0:
                fill(self->header, name, attrs);
                self->owner.sink_.on_stream_open(self->header,
                                                 self->slice(self->held_base, self->event_end()));
                self->consumed = self->event_end();
                break;
            case 1:
                self->unit_start = self->event_start();
                fill(self->top, name, attrs);
                break;
            case 2:
                split_expat_name(name, self->top.add_child());
                break;
            default:
                break;
        }
    }

    static void end_element(void* data, const char*) {
        auto* self = static_cast<Parser*>(data);
        if (self->owner.stopped_) return;
        switch (--self->depth) {
            case 0:
                self->owner.sink_.on_stream_close(
                    self->slice(self->event_start(), self->event_end()));
                self->consumed = self->event_end();
                break;
            case 1: {
                long long end = self->event_end();
                if (static_cast<std::size_t>(end - self->unit_start) >
                    self->owner.limits_.max_unit_bytes) {
                    self->owner.fail(FrameErrorKind::policy_violation,
                                     "stanza of " + std::to_string(end - self->unit_start) +
                                         " bytes is over the limit of " +
                                         std::to_string(self->owner.limits_.max_unit_bytes));
                    XML_StopParser(self->expat, XML_FALSE);
                    return;
                }
                self->owner.sink_.on_stanza(self->top, self->slice(self->unit_start, end));
                self->consumed = end;
                break;
            }
            default:
                break;
        }
    }

    static void character_data(void* data, const char*, int) {
        auto* self = static_cast<Parser*>(data);
        if (self->owner.stopped_ || self->depth != 1) return;
        std::string_view raw = self->slice(self->event_start(), self->event_end());
        if (!is_xml_whitespace(raw)) {
            self->owner.fail(FrameErrorKind::not_well_formed, "text outside of any stanza");
            XML_StopParser(self->expat, XML_FALSE);
            return;
        }
        self->owner.sink_.on_whitespace(raw);
        self->consumed = self->event_end();
    }

    static void comment(void* data, const char*) {
        static_cast<Parser*>(data)->restrict("XML comment");
    }
    static void processing_instruction(void* data, const char*, const char*) {
        static_cast<Parser*>(data)->restrict("XML processing instruction");
    }
    static void doctype(void* data, const char*, const char*, const char*, int) {
        static_cast<Parser*>(data)->restrict("document type declaration");
    }
    static void entity_declaration(void* data, const char*, int, const char*, int, const char*,
                                   const char*, const char*, const char*) {
        static_cast<Parser*>(data)->restrict("entity declaration");
    }

    void drop_consumed() {
        long long drop = consumed - held_base;
        if (drop <= 0) return;
        held.erase(0, static_cast<std::size_t>(drop));
        held_base = consumed;
    }
};

Framer::Framer(FrameSink& sink, FramerLimits limits)
    : sink_(sink), limits_(limits), parser_(std::make_unique<Parser>(*this)) {}

Framer::~Framer() = default;

void Framer::fail(FrameErrorKind kind, std::string text) {
    if (error_.kind == FrameErrorKind::none) error_ = FrameError{kind, std::move(text)};
    stopped_ = true;
}

void Framer::stop() {
    if (stopped_) return;
    stopped_ = true;
    XML_StopParser(parser_->expat, XML_FALSE);
}

std::size_t Framer::pending_bytes() const {
    return parser_->held.size();
}

bool Framer::feed(std::string_view bytes) {
    if (stopped_) return error_.kind == FrameErrorKind::none;
    Parser& p = *parser_;
    p.held.append(bytes);
    XML_Status status = XML_Parse(p.expat, bytes.data(), static_cast<int>(bytes.size()), XML_FALSE);
    if (status == XML_STATUS_ERROR && error_.kind == FrameErrorKind::none && !stopped_) {
        XML_Error code = XML_GetErrorCode(p.expat);
        FrameErrorKind kind = code == XML_ERROR_UNDEFINED_ENTITY ? FrameErrorKind::restricted_xml
                                                                 : FrameErrorKind::not_well_formed;
        fail(kind, std::string(XML_ErrorString(code)) + " at byte " +
                       std::to_string(XML_GetCurrentByteIndex(p.expat)));
    }
    if (error_.kind != FrameErrorKind::none) return false;
    if (stopped_) return true;
    p.drop_consumed();
    if (p.held.size() > limits_.max_unit_bytes) {
        fail(FrameErrorKind::policy_violation,
             std::string(p.depth >= 2 ? "stanza" : "unit") + " exceeds the limit of " +
                 std::to_string(limits_.max_unit_bytes) + " bytes while still incomplete");
        return false;
    }
    return true;
}

}  // namespace xml
