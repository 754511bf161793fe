#include "xml/standalone.hpp"

#include "xml/framer.hpp"

namespace xml {
namespace {

struct SingleElementSink : FrameSink {
    ElementView& view;
    int elements = 0;
    explicit SingleElementSink(ElementView& target) : view(target) {}

    void on_stream_open(const ElementView&, std::string_view) override {}
    void on_stanza(const ElementView& top, std::string_view) override {
        if (elements++ > 0) return;
        // The framer's bytes go with it: the view keeps its own copies.
        view.copy_from(top);
    }
    void on_whitespace(std::string_view) override {}
    void on_stream_close(std::string_view) override {}
};

}  // namespace

bool parse_standalone(std::string_view bytes, ElementView& view) {
    SingleElementSink sink(view);
    Framer framer(sink, FramerLimits{.max_unit_bytes = bytes.size() + 4096});
    bool ok = framer.feed(
        "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
        "xmlns='jabber:component:accept'>");
    ok = ok && framer.feed(bytes) && framer.feed("</stream:stream>");
    return ok && sink.elements == 1;
}

}  // namespace xml
