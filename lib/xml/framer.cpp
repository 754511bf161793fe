#include "xml/framer.hpp"

#include <expat.h>

#include <cstring>
#include <string>

#include "xml/stanza_scanner.hpp"

namespace xml {
namespace {

// Expat joins namespace URI, local name and prefix with this byte. XML 1.0 forbids it in
// names and attribute values, so it can never be part of the data.
constexpr char kNamespaceSeparator = '\x01';

// Expat's buffers are gone by the time the element ends: `view` keeps copies.
void split_expat_name(const char* raw, QName& out, ElementView& view) {
    const char* first = std::strchr(raw, kNamespaceSeparator);
    if (first == nullptr) {
        out = QName{{}, view.keep(raw), {}};
        return;
    }
    out.ns = view.keep(std::string_view(raw, first - raw));
    const char* local = first + 1;
    const char* second = std::strchr(local, kNamespaceSeparator);
    if (second == nullptr) {
        out.local = view.keep(local);
        out.prefix = {};
    } else {
        out.local = view.keep(std::string_view(local, second - local));
        out.prefix = view.keep(second + 1);
    }
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_xml_whitespace(std::string_view bytes) {
    for (char c : bytes) {
        if (!is_space(c)) return false;
    }
    return true;
}

bool may_start_stanza(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// How much of a run of whitespace at the stream level, followed by `next`, expat reports
// before it meets `next`: text continues the run of character data up to the next line break,
// while markup, references and bytes that cannot be character data end it.
std::size_t whitespace_expat_reports(std::string_view spaces, char next) {
    const auto c = static_cast<unsigned char>(next);
    const bool continues_data = c >= 0x20 && c != '<' && c != '&';
    if (!continues_data) return spaces.size();
    std::size_t last_break = spaces.find_last_of("\r\n");
    return last_break == std::string_view::npos ? 0 : last_break + 1;
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
// fed, so that a unit's raw bytes can be sliced out when it ends. Offsets are absolute stream
// positions.
//
// Expat parses the stream header, then leaves the stanzas to the scanner while it sits idle
// between two units at the stream level; it takes over a unit the scanner is unsure of (and
// what follows, until it is idle again at a unit's end), so for expat the stream simply lacks
// the units the scanner framed. `skipped` counts their bytes to turn expat's positions into
// the stream's.
struct Framer::Parser {
    Framer& owner;
    FramingPath path;
    Repeats repeats;
    XML_Parser expat;
    std::string held;  // bytes from absolute offset `held_base`
    long long held_base = 0;
    long long consumed = 0;  // absolute end of the last unit handed on
    long long fed = 0;       // absolute end of the bytes given to expat or framed by the scanner
    long long skipped = 0;   // bytes framed by the scanner
    std::size_t stanzas_scanned = 0;
    std::size_t stanzas_repeated = 0;
    int depth = 0;  // expat's: 0 outside the stream, 1 inside it, 2+ inside a stanza
    long long unit_start = 0;
    bool expat_owns = true;  // the bytes from `fed` on go to expat
    // Expat stopped inside the bytes it was given, after a unit the sink paused on: it takes
    // XML_ResumeParser before anything else.
    bool expat_suspended = false;
    bool scanning = false;  // the scanner holds a unit begun at `consumed`
    StanzaScanner scanner;
    std::string stream_default_ns;  // declared by the stream header, inherited by stanzas
    ElementView header;
    ElementView top;

    Parser(Framer& framer, FramingPath framing, Repeats repeats_kept)
        : owner(framer), path(framing), repeats(repeats_kept) {
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
        XML_SetStartNamespaceDeclHandler(expat, &Parser::namespace_declaration);
        XML_SetStartCdataSectionHandler(expat, &Parser::cdata_start);
        // Expat 2.6 (backported to Debian's 2.5 in deb12u2) may hold back a complete element
        // until more bytes arrive; a relay must hand it on at once. An older expat never defers.
#ifdef HAVE_XML_SET_REPARSE_DEFERRAL
        XML_SetReparseDeferralEnabled(expat, XML_FALSE);
#endif
    }
    ~Parser() {
        XML_ParserFree(expat);
    }

    long long event_start() const {
        return XML_GetCurrentByteIndex(expat) + skipped;
    }
    long long event_end() const {
        return event_start() + XML_GetCurrentByteCount(expat);
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
        split_expat_name(name, view.name, view);
        for (const char** a = attrs; *a != nullptr; a += 2) {
            Attribute& attribute = view.add_attribute();
            split_expat_name(a[0], attribute.name, view);
            attribute.value = view.keep(a[1]);
        }
    }

    // A pause asked for by the sink takes effect right after the unit it was handed: expat is
    // suspended there and resumed where it stood (XML_ResumeParser).
    void suspend_if_paused() {
        if (owner.paused_ && !owner.stopped_ && !expat_suspended) {
            expat_suspended = XML_StopParser(expat, XML_TRUE) == XML_STATUS_OK;
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
                self->suspend_if_paused();
                break;
            case 1:
                self->unit_start = self->event_start();
                fill(self->top, name, attrs);
                break;
            case 2:
                split_expat_name(name, self->top.add_child(), self->top);
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
                self->suspend_if_paused();
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
                self->suspend_if_paused();
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
        self->suspend_if_paused();
    }

    static void namespace_declaration(void* data, const char* prefix, const char* uri) {
        auto* self = static_cast<Parser*>(data);
        if (self->depth == 0 && prefix == nullptr) self->stream_default_ns = uri ? uri : "";
    }

    // Between top-level elements a stream carries whitespace and nothing else (RFC 6120
    // §11.7). A CDATA section there is refused: the whitespace it held would be relayed
    // without its delimiters, and expat, inside it, would look idle to the scanner.
    static void cdata_start(void* data) {
        auto* self = static_cast<Parser*>(data);
        if (self->owner.stopped_ || self->depth != 1) return;
        self->owner.fail(FrameErrorKind::not_well_formed, "CDATA section outside of any stanza");
        XML_StopParser(self->expat, XML_FALSE);
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

    bool inside_stanza() const {
        return expat_owns ? depth >= 2 : scanning && scanner.inside_top();
    }

    // Frames what was fed, by the scanner or by expat, until the bytes run out or an error or
    // the sink stops or pauses it.
    void run() {
        while (!owner.stopped_ && !owner.paused_) {
            const long long end = held_base + static_cast<long long>(held.size());
            if (expat_owns) {
                if (fed == end && !expat_suspended) return;
                if (!give_to_expat(end)) return;
            } else {
                if (!frame_with_scanner(end)) return;
            }
        }
    }

    // Expat gets the bytes up to the next '>' at a time, so that the scanner can take over
    // right after the unit that ends there.
    bool give_to_expat(long long end) {
        XML_Status status;
        if (expat_suspended) {
            expat_suspended = false;
            status = XML_ResumeParser(expat);
        } else {
            std::string_view rest = slice(fed, end);
            std::size_t cut =
                path == FramingPath::expat_only ? std::string_view::npos : rest.find('>');
            std::string_view piece = cut == std::string_view::npos ? rest : rest.substr(0, cut + 1);
            fed += static_cast<long long>(piece.size());
            status = XML_Parse(expat, piece.data(), static_cast<int>(piece.size()), XML_FALSE);
        }
        if (status == XML_STATUS_SUSPENDED) return false;
        if (status == XML_STATUS_ERROR && owner.error_.kind == FrameErrorKind::none &&
            !owner.stopped_) {
            XML_Error code = XML_GetErrorCode(expat);
            FrameErrorKind kind = code == XML_ERROR_UNDEFINED_ENTITY
                                      ? FrameErrorKind::restricted_xml
                                      : FrameErrorKind::not_well_formed;
            owner.fail(kind, std::string(XML_ErrorString(code)) + " at byte " +
                                 std::to_string(event_start()));
        }
        if (owner.stopped_) return false;
        if (path == FramingPath::scanner_first && depth == 1 && consumed == fed) expat_owns = false;
        return true;
    }

    // Returns false when more bytes are needed.
    bool frame_with_scanner(long long end) {
        if (consumed == end) return false;
        std::string_view rest = slice(consumed, end);
        if (!scanning) {
            std::size_t spaces = 0;
            while (spaces < rest.size() && is_space(rest[spaces])) ++spaces;
            if (spaces > 0) {
                std::size_t report;
                if (spaces < rest.size()) {
                    report = whitespace_expat_reports(rest.substr(0, spaces), rest[spaces]);
                } else {
                    // Like expat, a final CR waits for the byte that says whether it is
                    // CR LF.
                    report = rest.back() == '\r' ? spaces - 1 : spaces;
                    if (report == 0) return false;
                }
                if (report == 0) {
                    expat_owns = true;
                } else {
                    hand_on_whitespace(rest.substr(0, report));
                }
                return true;
            }
            if (rest[0] != '<') {
                expat_owns = true;
                return true;
            }
            if (rest.size() < 2) return false;
            if (!may_start_stanza(rest[1])) {
                expat_owns = true;  // the closing tag, or not a stanza
                return true;
            }
            // A broadcast's next copy: the last stanza's bytes but for `to`.
            if (const std::size_t size = scanner.repeat(rest); size != 0) {
                ++stanzas_repeated;
                return hand_on_scanned(rest, size);
            }
            scanner.reset();
            scanning = true;
        }
        switch (scanner.scan(rest)) {
            case StanzaScanner::Verdict::need_more:
                return false;
            case StanzaScanner::Verdict::unsure:
                scanning = false;
                expat_owns = true;
                return true;
            case StanzaScanner::Verdict::complete:
                break;
        }
        scanning = false;
        if (repeats == Repeats::compared)
            scanner.remember_for_repeats(rest.substr(0, scanner.end()));
        return hand_on_scanned(rest, scanner.end());
    }

    // A stanza the scanner vouched for, `size` bytes at the start of `rest`.
    bool hand_on_scanned(std::string_view rest, std::size_t size) {
        if (size > owner.limits_.max_unit_bytes) {
            owner.fail(FrameErrorKind::policy_violation,
                       "stanza of " + std::to_string(size) + " bytes is over the limit of " +
                           std::to_string(owner.limits_.max_unit_bytes));
            return false;
        }
        std::string_view raw = rest.substr(0, size);
        scanner.fill(top, raw, stream_default_ns);
        pass_over(size);
        ++stanzas_scanned;
        owner.sink_.on_stanza(top, raw);
        return true;
    }

    void hand_on_whitespace(std::string_view raw) {
        pass_over(raw.size());
        owner.sink_.on_whitespace(raw);
    }

    void pass_over(std::size_t bytes) {
        consumed += static_cast<long long>(bytes);
        fed = consumed;
        skipped += static_cast<long long>(bytes);
    }

    void drop_consumed() {
        long long drop = consumed - held_base;
        if (drop <= 0) return;
        held.erase(0, static_cast<std::size_t>(drop));
        held_base = consumed;
    }
};

Framer::Framer(FrameSink& sink, FramerLimits limits, FramingPath path, Repeats repeats)
    : sink_(sink), limits_(limits), parser_(std::make_unique<Parser>(*this, path, repeats)) {}

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

std::size_t Framer::stanzas_scanned() const {
    return parser_->stanzas_scanned;
}

std::size_t Framer::stanzas_repeated() const {
    return parser_->stanzas_repeated;
}

void Framer::pause() {
    if (!stopped_) paused_ = true;
}

bool Framer::feed(std::string_view bytes) {
    if (stopped_) return error_.kind == FrameErrorKind::none;
    parser_->held.append(bytes);
    return frame_held();
}

bool Framer::resume() {
    if (stopped_) return error_.kind == FrameErrorKind::none;
    paused_ = false;
    return frame_held();
}

bool Framer::frame_held() {
    Parser& p = *parser_;
    if (!paused_) p.run();
    if (error_.kind != FrameErrorKind::none) return false;
    if (stopped_) return true;
    p.drop_consumed();
    // Paused, the held bytes include units already complete: the size limit is for the one
    // unit still incomplete, checked once framing has caught up.
    if (paused_) return true;
    if (p.held.size() > limits_.max_unit_bytes) {
        fail(FrameErrorKind::policy_violation,
             std::string(p.inside_stanza() ? "stanza" : "unit") + " exceeds the limit of " +
                 std::to_string(limits_.max_unit_bytes) + " bytes while still incomplete");
        return false;
    }
    return true;
}

}  // namespace xml
