// What may stand where the config expects a host: an IP literal or a host name the resolver
// will take. Checked up front so a bad upstream is a config error, not a failure at the first
// connection.
#pragma once

#include <string_view>

namespace config {

// An IPv4 or IPv6 literal (an IPv6 one may carry a %zone), or a host name as RFC 1123 §2.1
// has it: dot-separated labels of letters, digits and hyphens, none starting or ending with a
// hyphen, each 1-63 bytes, 253 bytes in all (a final dot, for a rooted name, not counted).
bool is_valid_host(std::string_view host);

}  // namespace config
