// Which groupchat messages are worth copying to absent members: Prosody's rule for what
// goes into a room's history (mod_muc's history filter and XEP-0334 hints).
#pragma once

#include "xml/element_view.hpp"

namespace offline {

// `message` is a groupchat message from an occupant (room/nick). True when it is not a
// subject change, carries no no-store / no-permanent-store hint, and carries a body, a store
// hint, an encrypted payload (XEP-0380) or a chat marker (XEP-0333).
bool worth_copying(const xml::ElementView& message);

}  // namespace offline
