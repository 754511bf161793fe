#include "offline/delivery_session.hpp"

namespace offline {

DeliverySession::DeliverySession(OfflineDelivery& link, std::shared_ptr<OfflineDelivery> keep_alive)
    : link_(link),
      keep_alive_(std::move(keep_alive)),
      flow_(link.options_, link.domain_, link.registrations_, link.occupancy_, link.registration_),
      occupants_(link.occupancy_, link.options_.max_pending_join_bytes, link.options_.tree_limits) {
    link_.opened(*this);
}

DeliverySession::~DeliverySession() {
    link_.closed(*this);
}

void DeliverySession::on_stanza(xmpp::Direction direction, const xmpp::Stanza& stanza,
                                xmpp::Moment now, xmpp::Decisions& out) {
    link_.on_stanza(*this, direction, stanza, now, out);
}

void DeliverySession::on_batch_end(xmpp::Direction direction, xmpp::Moment now,
                                   xmpp::Decisions& out) {
    link_.on_batch_end(*this, direction, now, out);
}

void DeliverySession::prepare_ahead() {
    flow_.prepare_ahead();
    link_.prepare_ahead();
}

// What this session still owed absent members goes out if the server still takes it; its
// requests and join attempts end with it (the MUC answers on the connection it was asked on).
void DeliverySession::on_session_end(xmpp::Moment now, xmpp::Decisions& out) {
    link_.on_batch_end(*this, xmpp::Direction::to_server, now, out);
}

std::shared_ptr<DeliverySession> open_session(std::shared_ptr<OfflineDelivery> link) {
    OfflineDelivery& state = *link;
    return std::make_shared<DeliverySession>(state, std::move(link));
}

}  // namespace offline
