#include "config/host_name.hpp"

#include <arpa/inet.h>

#include <string>

namespace config {
namespace {

constexpr std::size_t kMaxNameBytes = 253;
constexpr std::size_t kMaxLabelBytes = 63;
constexpr std::size_t kMaxZoneBytes = 15;  // IFNAMSIZ - 1 on Linux

bool is_letter_or_digit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_label(std::string_view label) {
    if (label.empty() || label.size() > kMaxLabelBytes) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
        if (!is_letter_or_digit(c) && c != '-') return false;
    }
    return true;
}

bool is_host_name(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.empty() || name.size() > kMaxNameBytes) return false;
    while (true) {
        const std::size_t dot = name.find('.');
        if (!is_label(name.substr(0, dot))) return false;
        if (dot == std::string_view::npos) return true;
        name.remove_prefix(dot + 1);
    }
}

bool is_ip_literal(std::string_view host) {
    std::string text(host);
    in_addr v4{};
    if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return true;
    // A link-local address names its interface: fe80::1%eth0.
    const std::size_t percent = text.find('%');
    if (percent != std::string::npos) {
        std::string_view zone = host.substr(percent + 1);
        if (zone.empty() || zone.size() > kMaxZoneBytes) return false;
        for (char c : zone) {
            if (!is_letter_or_digit(c) && c != '-' && c != '_' && c != '.') return false;
        }
        text.resize(percent);
    }
    in6_addr v6{};
    return inet_pton(AF_INET6, text.c_str(), &v6) == 1;
}

}  // namespace

bool is_valid_host(std::string_view host) {
    return is_ip_literal(host) || is_host_name(host);
}

}  // namespace config
