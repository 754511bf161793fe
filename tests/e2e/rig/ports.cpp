#include "ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace rig {

sockaddr_in loopback_address(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

namespace {

std::uint16_t ask_kernel_for_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in address = loopback_address(0);
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        int err = errno;
        ::close(fd);
        throw std::runtime_error(std::string("cannot pick a free port: ") + std::strerror(err));
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

// Whether a local address from /proc/net/tcp{,6} covers 127.0.0.1: the wildcard, or (IPv4
// only) loopback itself. The kernel prints the address's bytes as native words in hex.
bool covers_loopback_address(const std::string& hex_address) {
    if (hex_address.find_first_not_of('0') == std::string::npos) return true;
    if (hex_address.size() != 8) return false;
    return static_cast<std::uint32_t>(std::stoul(hex_address, nullptr, 16)) ==
           htonl(INADDR_LOOPBACK);
}

// One line of /proc/net/tcp: "sl local_address rem_address st ...", addresses as
// HEXADDR:HEXPORT. State 0A is LISTEN.
bool proc_table_listens(const char* table, std::uint16_t port, bool& readable) {
    std::ifstream in(table);
    if (!in) return false;
    readable = true;
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state;
        if (!(fields >> slot >> local >> remote >> state)) continue;
        if (state != "0A") continue;
        auto colon = local.rfind(':');
        if (colon == std::string::npos) continue;
        if (std::stoul(local.substr(colon + 1), nullptr, 16) == port &&
            covers_loopback_address(local.substr(0, colon))) {
            return true;
        }
    }
    return false;
}

bool accepts_connection(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in address = loopback_address(port);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

std::uint16_t pick_free_port() {
    static std::set<std::uint16_t> handed_out;
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::uint16_t port = ask_kernel_for_port();
        if (handed_out.insert(port).second) return port;
    }
    throw std::runtime_error("no fresh free port after 100 attempts");
}

bool is_listening(std::uint16_t port) {
    bool readable = false;
    if (proc_table_listens("/proc/net/tcp", port, readable)) return true;
    if (proc_table_listens("/proc/net/tcp6", port, readable)) return true;
    return readable ? false : accepts_connection(port);
}

bool wait_until_listening(std::uint16_t port, Deadline deadline) {
    while (!is_listening(port)) {
        if (deadline.passed()) return false;
        std::this_thread::sleep_for(Millis(10));
    }
    return true;
}

}  // namespace rig
