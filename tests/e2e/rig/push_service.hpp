#pragma once
// A XEP-0357 app server played by the test: a client (push@localhost/service by default) that
// members name in their <enable/>. Their server publishes each notification to it as a pubsub
// <publish/> iq (XEP-0357 §7); the service records each one, summary form parsed, and answers
// with a result as a real app server would, so the server counts no push error.
#include <cstddef>
#include <string>
#include <vector>

#include "client.hpp"
#include "deadline.hpp"
#include "stack.hpp"
#include "stanza_record.hpp"

namespace rig {

inline constexpr const char* kPushNs = "urn:xmpp:push:0";
inline constexpr const char* kPushSummaryForm = "urn:xmpp:push:summary";

// One publish as the app server received it. The summary fields come from the
// urn:xmpp:push:summary form (XEP-0357 §7); each is empty when the server left it out.
struct PushPublish {
    double t = 0;      // seconds since the stack started
    std::string from;  // the member's server
    std::string id;
    std::string node;  // as the member named it in <enable/>
    bool has_summary = false;
    std::string message_count;
    std::string last_message_sender;
    std::string last_message_body;
    bool has_publish_options = false;
    std::string xml;
};

// Reads a pubsub publish iq (XEP-0357 §7) into `out`: node, publish-options, the summary form;
// false when `iq` is no publish. Leaves t, from, id and xml as they were.
bool read_publish(xmpp_stanza_t* iq, PushPublish& out);

class PushService {
  public:
    // Logs user@<domain>/resource in; `user` must be one of the stack's accounts
    // (StackOptions::extra_users).
    explicit PushService(Stack& stack, const std::string& user = "push",
                         const std::string& resource = "service");
    PushService(const PushService&) = delete;
    PushService& operator=(const PushService&) = delete;

    std::string jid() const { return client_.jid(); }
    Client& client() const { return client_; }

    const std::vector<PushPublish>& publishes() const { return publishes_; }
    // Index to search publishes() from, to only see what arrives after this point.
    std::size_t mark() const { return publishes_.size(); }
    std::vector<PushPublish> publishes_for(const std::string& node, std::size_t since = 0) const;

    // Pumps the stack until a publish for `node` arrived at index >= since and returns it.
    // Throws, listing what did arrive, when the timeout passes (0: the stack's step timeout).
    PushPublish expect_publish(const std::string& node, std::size_t since = 0,
                               Millis timeout = Millis(0));

    // Pumps the stack for at most `window`; true as soon as a publish for `node` arrived at
    // index >= since. Proves absence only after the caller has synced with whatever would
    // cause the publish.
    bool publish_arrives_within(const std::string& node, std::size_t since, Millis window);

  private:
    void on_stanza(Client& client, xmpp_stanza_t* stanza);

    Stack& stack_;
    Client& client_;
    std::vector<PushPublish> publishes_;
};

// XEP-0357 §5: `member` asks its own server to push to `service_jid`, node `node`; returns the
// server's answer (result or error).
StanzaRecord enable_push(Stack& stack, Client& member, const std::string& service_jid,
                         const std::string& node);

}  // namespace rig
