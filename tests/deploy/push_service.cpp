#include "push_service.hpp"

#include <strophe.h>

#include <iostream>
#include <memory>

#include "../e2e/rig/pump.hpp"
#include "../e2e/rig/push_service.hpp"
#include "xmpp/stream_text.hpp"

namespace deploy {
namespace {

constexpr rig::Millis kLogin(10000);
constexpr rig::Millis kSlice(100);

// A context of its own for reading recorded stanzas back into trees; it never connects.
class Parser {
  public:
    Parser() : ctx_(xmpp_ctx_new(nullptr, nullptr)) {}
    ~Parser() {
        if (ctx_ != nullptr) xmpp_ctx_free(ctx_);
    }
    Parser(const Parser&) = delete;
    Parser& operator=(const Parser&) = delete;

    xmpp_stanza_t* parse(const std::string& xml) const {
        return ctx_ == nullptr ? nullptr : xmpp_stanza_new_from_string(ctx_, xml.c_str());
    }

  private:
    xmpp_ctx_t* ctx_;
};

struct StanzaRelease {
    void operator()(xmpp_stanza_t* stanza) const { xmpp_stanza_release(stanza); }
};

// The scripts grep for one line per publish, so a body's own line breaks must not split it.
std::string on_one_line(std::string value) {
    for (char& c : value) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    return value;
}

void answer(rig::Client& service, const rig::StanzaRecord& iq) {
    if (iq.name != "iq" || (iq.type != "get" && iq.type != "set")) return;
    const std::string to = iq.from.empty() ? "" : " to='" + xmpp::escape_xml(iq.from) + "'";
    const std::string id = " id='" + xmpp::escape_xml(iq.id) + "'";
    const std::string line = iq.type == "set" ? describe_publish(iq.xml) : "";
    if (line.empty()) {
        // RFC 6120 §8.2.3: every get and set is answered; this service only takes publishes.
        service.send("<iq type='error'" + to + id +
                     "><error type='cancel'><service-unavailable "
                     "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
        return;
    }
    std::cout << line << std::endl;
    service.send("<iq type='result'" + to + id + "/>");
}

}  // namespace

std::string describe_publish(const std::string& iq) {
    static const Parser parser;
    std::unique_ptr<xmpp_stanza_t, StanzaRelease> tree(parser.parse(iq));
    rig::PushPublish publish;
    if (!tree || !rig::read_publish(tree.get(), publish)) return "";
    std::string line = "publish node=" + publish.node;
    for (const auto& [name, value] :
         {std::pair{"message-count", &publish.message_count},
          std::pair{"last-message-sender", &publish.last_message_sender},
          std::pair{"last-message-body", &publish.last_message_body}}) {
        if (!value->empty()) line += " " + std::string(name) + "=" + on_one_line(*value);
    }
    return line;
}

int serve_push(const rig::Account& account, std::uint16_t port, const std::string& log_dir,
               int seconds) {
    const rig::Deadline end = rig::Deadline::in(rig::Millis(1000LL * seconds));
    rig::Client service(account.user + "/" + account.resource, account, port,
                        log_dir + "/probe-" + account.user + "-" + account.resource + ".log",
                        rig::Clock::now());
    rig::pump_until(
        {&service}, [&] { return service.online() || service.failed(); },
        rig::Deadline::in(kLogin));
    if (!service.online()) {
        std::cerr << "deploy-probe: " << account.full_jid()
                  << " could not log in: " << (service.failed() ? service.failure() : "timed out")
                  << "\n";
        return 1;
    }
    std::cout << "push service online as " << service.jid() << std::endl;
    std::size_t next = 0;
    while (!end.passed() && !service.failed()) {
        service.run_once(kSlice);
        for (; next < service.received().size(); ++next) answer(service, service.received()[next]);
    }
    if (service.failed()) {
        std::cerr << "deploy-probe: the push service's connection failed: " << service.failure()
                  << "\n";
        return 1;
    }
    std::cout << "push service stopping after " << seconds << " s" << std::endl;
    return 0;
}

}  // namespace deploy
