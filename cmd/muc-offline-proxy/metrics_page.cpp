#include "metrics_page.hpp"

#include <functional>

#include "durable/durable_state.hpp"
#include "features.hpp"
#include "metrics/exposition.hpp"

namespace {

using metrics::Exposition;

constexpr std::string_view kPrefix = "muc_offline_proxy_";

std::string name(std::string_view suffix) {
    return std::string(kPrefix) + std::string(suffix);
}

}  // namespace

std::string MetricsPage::metrics() const {
    Exposition out;
    const auto& listeners = proxy_.listeners();
    // One family at a time over every link: the format wants a family's samples together.
    auto per_link = [&](std::string_view suffix, std::string_view type, std::string_view help,
                        const std::function<std::uint64_t(const net::Listener&)>& value) {
        out.family(name(suffix), type, help);
        for (const auto& listener : listeners)
            out.sample({{"link", listener->config().name}}, value(*listener));
    };
    auto per_direction = [&](std::string_view suffix, std::string_view help, auto to_server,
                             auto to_component) {
        out.family(name(suffix), "counter", help);
        for (const auto& listener : listeners) {
            const session::LinkCounters& c = listener->counters();
            out.sample({{"link", listener->config().name}, {"direction", "to_server"}},
                       std::uint64_t{(c.*to_server).load()});
            out.sample({{"link", listener->config().name}, {"direction", "to_component"}},
                       std::uint64_t{(c.*to_component).load()});
        }
    };

    per_link("link_connected", "gauge",
             "1 while a component session on the link is authenticated with the server",
             [](const net::Listener& l) { return l.counters().components_connected > 0 ? 1 : 0; });
    per_link("sessions_accepted_total", "counter", "Component connections accepted",
             [](const net::Listener& l) { return l.counters().sessions_accepted.load(); });
    per_link("sessions_authenticated_total", "counter",
             "Component sessions whose handshake the server accepted",
             [](const net::Listener& l) { return l.counters().sessions_authenticated.load(); });
    per_direction("stanzas_total", "Stanzas written, by direction (to_server: from the MUC)",
                  &session::LinkCounters::stanzas_to_server,
                  &session::LinkCounters::stanzas_to_component);
    per_direction("stanza_bytes_total", "Stanza bytes written, by direction",
                  &session::LinkCounters::bytes_to_server,
                  &session::LinkCounters::bytes_to_component);
    per_link("write_queue_bytes", "gauge", "Bytes waiting to be written on the link now",
             [](const net::Listener& l) { return l.queued_bytes(); });
    per_link("write_queue_peak_bytes", "gauge", "Largest write queue seen on the link",
             [](const net::Listener& l) { return l.counters().queue_peak_bytes.load(); });
    per_link("read_pauses_total", "counter",
             "Times a full write queue stopped the link reading (backpressure stalls)",
             [](const net::Listener& l) { return l.counters().read_pauses.load(); });
    per_link("upstream_connect_failures_total", "counter",
             "Times the server's component port could not be reached",
             [](const net::Listener& l) { return l.counters().upstream_failures.load(); });
    // Stream errors, counted per link by (side, condition).
    using ErrorCounts = decltype(session::LinkCounters::stream_errors_by_condition);
    auto per_condition = [&](std::string_view suffix, std::string_view help,
                             const std::string& side_label,
                             ErrorCounts session::LinkCounters::*counts) {
        out.family(name(suffix), "counter", help);
        for (const auto& listener : listeners) {
            for (const auto& [key, count] : listener->counters().*counts) {
                out.sample({{"link", listener->config().name},
                            {side_label, key.first},
                            {"condition", key.second}},
                           count);
            }
        }
    };
    per_condition("stream_errors_total",
                  "Stream errors the proxy sent, by the side they went to and their condition",
                  "to", &session::LinkCounters::stream_errors_by_condition);
    per_condition("peer_stream_errors_total",
                  "Stream errors a peer sent (relayed), by the side that sent them and condition",
                  "from", &session::LinkCounters::peer_stream_errors_by_condition);

    // The feature's numbers exist only on links where it is on.
    auto per_feature =
        [&](std::string_view suffix, std::string_view type, std::string_view help,
            const std::function<std::uint64_t(const offline::OfflineDelivery&)>& value) {
            out.family(name(suffix), type, help);
            for (const auto& listener : listeners) {
                if (auto delivery = features_.delivery(listener->config().name))
                    out.sample({{"link", listener->config().name}}, value(*delivery));
            }
        };
    per_feature("registrations", "gauge", "Room registrations held (opted in or out)",
                [](const auto& d) { return d.registrations().size(); });
    per_link("registrations_refused_unstored_total", "counter",
             "Registrations answered with an error instead of the success because the store "
             "could not write them",
             [](const net::Listener& l) { return l.counters().answers_not_durable.load(); });
    per_feature("registrations_committed_total", "counter",
                "Registrations the MUC (or, standalone, the proxy) accepted",
                [](const auto& d) { return d.registration_counters().committed; });
    per_feature("registrations_removed_total", "counter",
                "Registrations removed: <remove/>, revocation, ban, destruction",
                [](const auto& d) {
                    return d.registration_counters().removed + d.counters().registrations_revoked;
                });
    per_feature("registrations_refused_total", "counter",
                "Register submits answered with an error, by the MUC or the proxy",
                [](const auto& d) { return d.registration_counters().refused; });
    per_feature("registrations_restored_total", "counter",
                "Registrations given back because the MUC refused their removal",
                [](const auto& d) { return d.registration_counters().restored; });
    per_feature("register_forms_augmented_total", "counter",
                "Register forms the proxy added the offline field to, or answered itself",
                [](const auto& d) { return d.registration_counters().forms_augmented; });
    per_feature("native_rooms_total", "counter",
                "Rooms found offering the offline field themselves (left alone)",
                [](const auto& d) { return d.registration_counters().native_rooms; });
    per_feature("occupant_sessions", "gauge", "Occupant sessions (room, full JID) known now",
                [](const auto& d) { return d.occupancy().sessions(); });
    per_feature("messages_fanned_out_total", "counter",
                "Groupchat messages copied to at least one absent member",
                [](const auto& d) { return d.counters().messages_fanned_out; });
    per_feature("copies_sent_total", "counter", "Copies sent to absent members' bare JIDs",
                [](const auto& d) { return d.counters().copies_sent; });
    per_feature("bounces_swallowed_total", "counter",
                "Errors answering a copy, dropped before the MUC",
                [](const auto& d) { return d.counters().bounces_swallowed; });
    per_feature("tracked_copies", "gauge",
                "Copies remembered so that their bounces can be recognised",
                [](const auto& d) { return d.tracked_copies(); });
    per_feature("copies_forgotten_total", "counter",
                "Copies forgotten before bounce_ttl_ms to stay within max_tracked_copies",
                [](const auto& d) { return d.copies_forgotten(); });
    // The tables the server side feeds, bounded in bytes (label `table`: iqs, joins).
    auto per_table = [&](std::string_view suffix, std::string_view type, std::string_view help,
                         auto iqs, auto joins) {
        out.family(name(suffix), type, help);
        for (const auto& listener : listeners) {
            if (auto delivery = features_.delivery(listener->config().name)) {
                out.sample({{"link", listener->config().name}, {"table", "iqs"}}, iqs(*delivery));
                out.sample({{"link", listener->config().name}, {"table", "joins"}},
                           joins(*delivery));
            }
        }
    };
    per_table(
        "pending_bytes", "gauge",
        "Bytes held by requests waiting for the MUC's answer (iqs) and join attempts (joins)",
        [](const auto& d) { return d.pending_iq_bytes(); },
        [](const auto& d) { return d.pending_join_bytes(); });
    per_table(
        "pending_evictions_total", "counter",
        "Register gets (iqs) and join attempts (joins) forgotten unanswered to stay in budget",
        [](const auto& d) { return d.pending_iq_evictions(); },
        [](const auto& d) { return d.pending_join_evictions(); });
    per_feature("requests_refused_untracked_total", "counter",
                "Submits, removals and revocations refused up front: no room to track them",
                [](const auto& d) { return d.registration_counters().refused_untracked; });
    per_feature("late_answers_total", "counter",
                "MUC results to submits no longer tracked, turned into an error for the member",
                [](const auto& d) { return d.registration_counters().late_answers; });
    per_feature("paused_members", "gauge", "Members whose copies are paused after bounces",
                [](const auto& d) { return d.paused_members(); });
    per_feature("members_paused_total", "counter", "Times a member was paused after bounces",
                [](const auto& d) { return d.counters().members_paused; });
    per_feature("notices_sent_total", "counter",
                "Notices sent to absent members instead of copies (offline.delivery)",
                [](const auto& d) { return d.counters().notices_sent; });
    per_feature("notices_suppressed_total", "counter",
                "Messages held back by offline.notice.min_interval, counted in a later notice",
                [](const auto& d) { return d.counters().notices_suppressed; });
    per_feature("members_switched_to_notices_total", "counter",
                "Members moved to notices by delivery \"auto\" after their server refused a copy",
                [](const auto& d) { return d.counters().members_switched_to_notices; });
    out.family(name("tree_limit_refusals_total"), "counter",
               "Stanzas the feature did not read for being over limits.max_depth, max_attributes "
               "or max_children: requests answered policy-violation, the MUC's forwarded as they "
               "are");
    for (const auto& listener : listeners) {
        auto delivery = features_.delivery(listener->config().name);
        if (!delivery) continue;
        const offline::TreeLimitCounters refusals = delivery->tree_limit_refusals();
        for (auto limit :
             {xmpp::TreeLimit::depth, xmpp::TreeLimit::attributes, xmpp::TreeLimit::children}) {
            out.sample({{"link", listener->config().name}, {"limit", xmpp::limit_key(limit)}},
                       refusals.of(limit));
        }
    }

    out.family(name("loop_busy_seconds"), "histogram",
               "Time the event loop ran callbacks in one iteration, without waiting for I/O: "
               "while it does, no connection is read (a long one is a stall every peer sees)");
    loop_busy_.busy_seconds().write(out);
    out.family(name("loop_busy_cpu_seconds"), "histogram",
               "The loop thread's CPU time over the same iterations: an iteration much longer "
               "than its CPU time was held up by the machine (another process or the host had "
               "the CPU), not by the proxy's own work");
    loop_busy_.cpu_seconds().write(out);
    out.family(name("loop_busy_longest_seconds"), "gauge",
               "The longest such iteration since the proxy started (the histogram's buckets only "
               "bound it)");
    out.sample({}, loop_busy_.longest_seconds());

    out.family(name("store_commit_seconds"), "histogram",
               "Time to commit one batch of state changes to the store (on the thread pool)");
    durable_.commit_seconds().write(out);
    out.family(name("store_commit_failures_total"), "counter",
               "Batches of state changes the store failed to write");
    out.sample({}, durable_.failed_batches());
    out.family(name("store_writable"), "gauge",
               "0 while the store cannot write (its last commit failed, or the file was deleted "
               "or replaced), 1 otherwise");
    out.sample({}, std::uint64_t{durable_.writable() ? 1u : 0u});
    out.family(name("store_pending_changes"), "gauge",
               "State changes recorded and not yet on disk (kept for a retry while the store "
               "cannot write)");
    out.sample({}, std::uint64_t{durable_.pending_changes()});
    out.family(name("store_changes_dropped_total"), "counter",
               "Unwritten state changes dropped to stay within store.max_retained_bytes");
    out.sample({}, durable_.changes_dropped());
    out.family(name("config_reloads_total"), "counter",
               "SIGHUP reloads, by result (refused: the new file was invalid or could not apply)");
    out.sample({{"result", "applied"}}, reloads_.applied);
    out.sample({{"result", "refused"}}, reloads_.refused);
    out.family(name("metrics_connections_closed_total"), "counter",
               "Connections to this endpoint it closed on its own, by reason (evicted: the "
               "longest waiting, for a new one past metrics.max_connections)");
    out.sample({{"reason", "idle_timeout"}}, endpoint_.idle_timeout);
    out.sample({{"reason", "request_timeout"}}, endpoint_.request_timeout);
    out.sample({{"reason", "evicted"}}, endpoint_.evicted);
    out.sample({{"reason", "refused"}}, endpoint_.refused);
    return out.text();
}

net::HealthReport MetricsPage::health() const {
    net::HealthReport report;
    // A store that cannot write refuses registrations: restarting or freeing space helps.
    const bool store_writes = durable_.writable();
    report.healthy = proxy_.accepting() && store_writes;
    report.text = report.healthy        ? "ok\n"
                  : !proxy_.accepting() ? "not accepting component connections\n"
                                        : "";
    if (!store_writes) {
        report.text +=
            "store: cannot write " + durable_.path() + ": " + durable_.unwritable_reason() + "\n";
    }
    for (const auto& listener : proxy_.listeners()) {
        report.text += "link " + listener->config().name + ": " +
                       (!listener->accepting()                          ? "not accepting"
                        : listener->counters().components_connected > 0 ? "component connected"
                                                                        : "no component") +
                       "\n";
    }
    return report;
}

net::MetricsPages MetricsPage::pages() const {
    return {[this] { return metrics(); }, [this] { return health(); }};
}
