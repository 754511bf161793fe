// Features the proxy adds to the MUC's disco#info answers (XEP-0030 §3.1): Tigase's offline
// delivery, and in standalone mode jabber:iq:register for rooms, since the proxy answers
// room registration itself.
#pragma once

#include <strophe.h>

#include <initializer_list>
#include <string_view>

namespace offline {

inline constexpr char kDiscoInfoNs[] = "http://jabber.org/protocol/disco#info";
inline constexpr char kOfflineFeature[] = "http://tigase.org/protocol/muc#offline";

// Appends <feature var=.../> to a disco#info <query> for each var it lacks. Returns whether
// it added any.
bool add_features(xmpp_stanza_t* query, std::initializer_list<std::string_view> vars);

}  // namespace offline
