#pragma once

#include <cstdint>
#include <string>

#include <boost/asio/ip/address.hpp>

#include "probe/error.hpp"

namespace portwatch::probe {

/// Maps a connect/socket errno to a ProbeError.
ProbeError classify_connect_error(int err);

/// How telling a failure is, when several addresses failed differently (higher wins).
int failure_rank(ProbeError e);

/// "1.2.3.4:80" or "[::1]:80".
std::string endpoint_text(boost::asio::ip::address const& a, std::uint16_t port);

/// True when `port` lies in this network namespace's ephemeral range (read once), i.e. could
/// be one of our own source ports.
bool in_ephemeral_range(std::uint16_t port);

}  // namespace portwatch::probe
