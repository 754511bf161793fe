#include "framer_differential.hpp"

#include <algorithm>
#include <array>
#include <tuple>

namespace test_support {
namespace {

void describe(std::string& out, const xml::QName& name) {
    out += '{';
    out += name.ns;
    out += '}';
    out += name.local;
    out += '/';
    out += name.prefix;
}

std::string describe(const xml::ElementView& view) {
    std::string out;
    describe(out, view.name);
    for (const xml::Attribute& a : view.attributes()) {
        out += " @";
        describe(out, a.name);
        out += "=[";
        out += a.value;
        out += ']';
    }
    for (const xml::QName& c : view.children()) {
        out += " child ";
        describe(out, c);
    }
    return out;
}

struct RecordingSink : xml::FrameSink {
    FramingRecord& record;
    std::size_t elements = 0;
    xml::Framer* pausing = nullptr;  // set: pauses the framer after every unit
    explicit RecordingSink(FramingRecord& r) : record(r) {}

    void on_stream_open(const xml::ElementView& header, std::string_view raw) override {
        ++elements;
        record.units.push_back("open " + describe(header) + " | " + std::string(raw));
        pause();
    }
    void on_stanza(const xml::ElementView& top, std::string_view raw) override {
        ++elements;
        record.units.push_back("stanza " + describe(top) + " | " + std::string(raw));
        pause();
    }
    void on_whitespace(std::string_view raw) override {
        if (!record.units.empty() && record.units.back().starts_with("space | ")) {
            record.units.back() += raw;
        } else {
            record.units.push_back("space | " + std::string(raw));
        }
        pause();
    }
    void on_stream_close(std::string_view raw) override {
        ++elements;
        record.units.push_back("close | " + std::string(raw));
        pause();
    }
    void pause() {
        if (pausing != nullptr) pausing->pause();
    }
};

std::string printable(std::string_view bytes) {
    std::string out;
    for (char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f && c != '\\') {
            out += c;
        } else {
            constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out += kHex[u >> 4];
            out += kHex[u & 15];
        }
    }
    return out;
}

std::size_t below(std::mt19937& random, std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
}

template <typename T, std::size_t N>
const T& pick(std::mt19937& random, const std::array<T, N>& choices) {
    return choices[below(random, N)];
}

constexpr std::array<std::string_view, 12> kNames = {
    "message", "presence", "iq", "body", "x", "item", "a", "b_1", "stanza-id", "q.r", "xmpp", "Z"};
constexpr std::array<std::string_view, 10> kNamespaces = {"jabber:client",
                                                          "http://jabber.org/protocol/muc#user",
                                                          "urn:xmpp:sid:0",
                                                          "urn:x",
                                                          "jabber:component:accept",
                                                          "a b",
                                                          "http://www.w3.org/XML/1998/namespace",
                                                          "http://www.w3.org/2000/xmlns/",
                                                          "&amp;",
                                                          ""};
constexpr std::array<std::string_view, 20> kText = {
    "hello", " ",    "\n",   "\t",     "\r\n",   "caf\xc3\xa9", "\xf0\x9f\x8d\xb5",
    "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#65;",       "&#x1F375;",
    "'\"",   ">",    "]",    "]]",     "] ]>",   "&#xD;"};
constexpr std::array<std::string_view, 16> kValues = {"room@conference.localhost/nick",
                                                      "",
                                                      "a'b",
                                                      "a\"b",
                                                      "x>y",
                                                      "&amp;&lt;&gt;&quot;&apos;",
                                                      "&#38;",
                                                      "&#x10FFFF;",
                                                      "\xe2\x82\xac",
                                                      "&#9;",
                                                      "&#10;",
                                                      "en",
                                                      "groupchat",
                                                      "1 2",
                                                      "]]>",
                                                      "\xc2\xa0"};

void append_element(std::string& out, std::mt19937& random, int depth) {
    const std::string name(pick(random, kNames));
    out += '<';
    out += name;
    std::vector<std::string> used;
    const std::size_t attributes = below(random, 4);
    for (std::size_t i = 0; i < attributes; ++i) {
        std::string attribute;
        switch (below(random, 8)) {
            case 0:
                attribute = "xmlns";
                break;
            case 1:
                attribute = "xml:lang";
                break;
            default:
                attribute = std::string(pick(random, kNames));
        }
        if (std::find(used.begin(), used.end(), attribute) != used.end()) continue;
        used.push_back(attribute);
        out += below(random, 5) == 0 ? "\n  " : " ";
        out += attribute;
        out += below(random, 6) == 0 ? " = " : "=";
        const char quote = below(random, 2) == 0 ? '\'' : '"';
        std::string value(attribute == "xmlns" ? pick(random, kNamespaces) : pick(random, kValues));
        if (value.find(quote) != std::string::npos) value = "q";
        out += quote;
        out += value;
        out += quote;
    }
    if (below(random, 8) == 0) out += ' ';
    if (depth > 3 || below(random, 4) == 0) {
        out += "/>";
        return;
    }
    out += '>';
    const std::size_t items = below(random, 5);
    for (std::size_t i = 0; i < items; ++i) {
        switch (below(random, 6)) {
            case 0:
            case 1:
                append_element(out, random, depth + 1);
                break;
            case 2:
                out += "<![CDATA[";
                out += pick(random, kText);
                out += "<not a='tag'>]]";
                out += "]]>";
                break;
            default:
                out += pick(random, kText);
        }
    }
    out += "</";
    out += name;
    out += below(random, 8) == 0 ? " >" : ">";
}

constexpr std::array<std::string_view, 56> kTokens = {"'",
                                                      "\"",
                                                      ">",
                                                      "<",
                                                      "/",
                                                      "=",
                                                      " ",
                                                      "&",
                                                      ";",
                                                      "]]>",
                                                      "<![CDATA[",
                                                      "]]",
                                                      "<!--",
                                                      "-->",
                                                      "<?pi x?>",
                                                      "<!DOCTYPE a>",
                                                      "<!ENTITY e 'x'>",
                                                      "&amp;",
                                                      "&undeclared;",
                                                      "&#0;",
                                                      "&#x0;",
                                                      "&#65;",
                                                      "&#1114112;",
                                                      "&#xD800;",
                                                      "&#xFFFE;",
                                                      "&#99999999999;",
                                                      "&#x;",
                                                      "&#-1;",
                                                      "&ampx;",
                                                      "\xc3",
                                                      "\xa9",
                                                      "\xc0\xaf",
                                                      "\xed\xa0\x80",
                                                      "\xef\xbf\xbe",
                                                      "\xf4\x90\x80\x80",
                                                      "\xff",
                                                      "\x01",
                                                      "\x7f",
                                                      "\xc2\x85",
                                                      "\xef\xb7\x90",
                                                      "\t",
                                                      "\r",
                                                      "\r\n",
                                                      "/>",
                                                      "</a>",
                                                      "</x>",
                                                      " xmlns='urn:y'",
                                                      " xmlns:p='urn:p'",
                                                      "p:",
                                                      " p:a='1'",
                                                      " xml:lang='en'",
                                                      " xml:space='x'",
                                                      " xmlns=''",
                                                      " id='dup' id='dup'",
                                                      "\xe2\x80\xa8",
                                                      "</stream:stream>"};

}  // namespace

FramingRecord frame_stream(xml::FramingPath path, std::string_view stream,
                           const std::vector<std::size_t>& cuts, xml::FramerLimits limits,
                           bool pause_after_each_unit) {
    FramingRecord record;
    RecordingSink sink(record);
    xml::Framer framer(sink, limits, path);
    if (pause_after_each_unit) sink.pausing = &framer;
    std::size_t at = 0;
    for (std::size_t i = 0; i <= cuts.size(); ++i) {
        const std::size_t to = i < cuts.size() ? cuts[i] : stream.size();
        bool ok = framer.feed(stream.substr(at, to - at));
        while (ok && framer.paused()) ok = framer.resume();
        at = to;
        record.feed_results.push_back(ok);
        record.elements_after_feed.push_back(sink.elements);
        if (!ok) break;
    }
    record.error = framer.error();
    record.stanzas_scanned = framer.stanzas_scanned();
    return record;
}

std::string framing_difference(const FramingRecord& scanner, const FramingRecord& expat) {
    const std::size_t units = std::min(scanner.units.size(), expat.units.size());
    for (std::size_t i = 0; i < units; ++i) {
        if (scanner.units[i] != expat.units[i]) {
            return "unit " + std::to_string(i) + ": scanner path gave\n  " +
                   printable(scanner.units[i]) + "\nexpat gave\n  " + printable(expat.units[i]);
        }
    }
    if (scanner.units.size() != expat.units.size()) {
        const auto& longer = scanner.units.size() > units ? scanner.units : expat.units;
        return std::string(scanner.units.size() > units ? "scanner path" : "expat") +
               " gave one more unit: " + printable(longer[units]);
    }
    if (scanner.feed_results != expat.feed_results) {
        return "feed() results differ: scanner path failed at chunk " +
               std::to_string(scanner.feed_results.size() - 1) + ", expat at chunk " +
               std::to_string(expat.feed_results.size() - 1) + "; errors: " + scanner.error.text +
               " / " + expat.error.text;
    }
    if (scanner.elements_after_feed != expat.elements_after_feed)
        return "a unit was handed on after another chunk";
    // Which of two faults in one piece expat names first depends on how the bytes were cut
    // (expat alone does that too), so not-well-formed texts may differ; the verdict may not.
    const bool same_text = scanner.error.text == expat.error.text ||
                           scanner.error.kind == xml::FrameErrorKind::not_well_formed;
    if (scanner.error.kind != expat.error.kind || !same_text) {
        return "error: scanner path gave <" + std::string(xml::condition_name(scanner.error.kind)) +
               "> " + scanner.error.text + "; expat gave <" +
               std::string(xml::condition_name(expat.error.kind)) + "> " + expat.error.text;
    }
    return {};
}

std::string compare_paths(std::string_view stream, const std::vector<std::size_t>& cuts,
                          xml::FramerLimits limits, std::size_t* stanzas_scanned) {
    FramingRecord scanner = frame_stream(xml::FramingPath::scanner_first, stream, cuts, limits);
    FramingRecord expat = frame_stream(xml::FramingPath::expat_only, stream, cuts, limits);
    if (stanzas_scanned != nullptr) *stanzas_scanned = scanner.stanzas_scanned;
    std::string difference = framing_difference(scanner, expat);
    // A framer paused after every unit and resumed must frame exactly as one never paused.
    for (const auto& [path, unpaused, name] :
         {std::tuple{xml::FramingPath::scanner_first, &scanner, "scanner path"},
          std::tuple{xml::FramingPath::expat_only, &expat, "expat"}}) {
        if (!difference.empty()) break;
        difference = framing_difference(frame_stream(path, stream, cuts, limits, true), *unpaused);
        if (!difference.empty())
            difference = std::string(name) + " paused after each unit vs not: " + difference;
    }
    if (difference.empty()) return {};
    std::string pieces;
    for (std::size_t cut : cuts) pieces += std::to_string(cut) + " ";
    return difference + "\ninput: " + printable(stream) + "\ncut at: " + pieces;
}

std::vector<std::size_t> random_cuts(std::size_t size, std::size_t max_piece,
                                     std::mt19937& random) {
    std::vector<std::size_t> cuts;
    if (max_piece == 0) return cuts;
    std::uniform_int_distribution<std::size_t> step(1, max_piece);
    for (std::size_t at = step(random); at < size; at += step(random)) cuts.push_back(at);
    return cuts;
}

std::string random_stanza(std::mt19937& random) {
    std::string out;
    append_element(out, random, 1);
    return out;
}

std::string mutate(std::string input, std::mt19937& random) {
    const std::size_t edits = 1 + below(random, 4);
    for (std::size_t e = 0; e < edits; ++e) {
        const std::size_t at = below(random, input.size() + 1);
        switch (below(random, 6)) {
            case 0:
            case 1:
            case 2:
                input.insert(at, pick(random, kTokens));
                break;
            case 3:
                input.erase(at, below(random, 8));
                break;
            case 4:
                if (at < input.size()) {
                    input.insert(at, input.substr(at, below(random, 40)));
                }
                break;
            default:
                if (at < input.size()) input[at] = static_cast<char>(below(random, 256));
        }
    }
    return input;
}

}  // namespace test_support
