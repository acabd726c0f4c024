#include "probe/sockets.hpp"

#include <cerrno>
#include <cstdio>
#include <utility>

namespace portwatch::probe {

ProbeError classify_connect_error(int err) {
    switch (err) {
        case 0:
            return ProbeError::none;
        case ECONNREFUSED:
            return ProbeError::refused;
        case ETIMEDOUT:
            return ProbeError::timeout;
        case EHOSTUNREACH:
        case EHOSTDOWN:
            return ProbeError::host_unreachable;
        case ENETUNREACH:
        case ENETDOWN:
            return ProbeError::network_unreachable;
        default:
            return ProbeError::connect_failed;
    }
}

int failure_rank(ProbeError e) {
    switch (e) {
        case ProbeError::refused:
            return 5;
        case ProbeError::timeout:
            return 4;
        case ProbeError::host_unreachable:
            return 3;
        case ProbeError::connect_failed:
            return 2;
        case ProbeError::network_unreachable:
            return 1;
        default:
            return 0;
    }
}

std::string endpoint_text(boost::asio::ip::address const& a, std::uint16_t port) {
    return a.is_v6() ? "[" + a.to_string() + "]:" + std::to_string(port)
                     : a.to_string() + ":" + std::to_string(port);
}

// The kernel takes ephemeral source ports from net.ipv4.ip_local_port_range only (read once,
// for this network namespace): a port outside it can never be our own source port.
bool in_ephemeral_range(std::uint16_t port) {
    static std::pair<unsigned, unsigned> const range = [] {
        std::pair<unsigned, unsigned> r{1, 65535};
        if (std::FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "r")) {
            unsigned lo = 0;
            unsigned hi = 0;
            if (std::fscanf(f, "%u %u", &lo, &hi) == 2 && lo <= hi) {
                r = {lo, hi};
            }
            std::fclose(f);
        }
        return r;
    }();
    return port >= range.first && port <= range.second;
}

}  // namespace portwatch::probe
