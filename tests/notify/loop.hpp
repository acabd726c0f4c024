#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>

namespace portwatch::test {

/// Runs `io` until `done()` holds, at most `timeout` (every wait bounded).
inline bool run_until(boost::asio::io_context& io, std::function<bool()> const& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    auto const end = std::chrono::steady_clock::now() + timeout;
    io.restart();
    while (!done() && std::chrono::steady_clock::now() < end) {
        io.run_for(std::chrono::milliseconds(20));
        io.restart();
    }
    return done();
}

}  // namespace portwatch::test
