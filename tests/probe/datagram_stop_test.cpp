// Engine::stop() with datagram probes in flight: udp and dns probes to a server that reads and
// never answers are cancelled at once, not left to run out their own timers.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "probe/dns.hpp"
#include "probe/engine.hpp"
#include "probe/udp.hpp"
#include "support/udp_server.hpp"

namespace portwatch::probe {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

config::OptionNode scalar(std::string v) {
    return {
        .type = config::OptionNode::Type::scalar, .scalar = std::move(v), .line = 1, .column = 1};
}

ProbeRequest silent_udp(std::uint16_t port) {
    config::OptionBag bag{.file = "t.yaml", .path = "targets[0]"};
    bag.entries.push_back({.key = "send", .value = scalar("q"), .line = 1, .column = 1});
    config::Diagnostics out;
    auto o = udp_kind.parse_options(bag, out);
    EXPECT_TRUE(out.empty());
    return {.kind = "udp", .host = "127.0.0.1", .port = port, .timeout = 60s, .options = o};
}

ProbeRequest silent_dns(std::uint16_t port) {
    config::OptionNode map{.type = config::OptionNode::Type::map, .line = 1, .column = 1};
    map.entries.push_back({.key = "query", .value = scalar("a.test"), .line = 1, .column = 1});
    config::OptionBag bag{.file = "t.yaml", .path = "targets[0]"};
    bag.entries.push_back({.key = "dns", .value = map, .line = 1, .column = 1});
    config::Diagnostics out;
    auto o = dns_kind.parse_options(bag, out);
    EXPECT_TRUE(out.empty());
    return {.kind = "dns", .host = "127.0.0.1", .port = port, .timeout = 60s, .options = o};
}

TEST(DatagramStop, EngineStopCancelsInFlightUdpAndDnsProbes) {
    test::UdpServer silent("127.0.0.1",
                           [](std::size_t, std::string const&) { return std::nullopt; });
    ASSERT_TRUE(silent.ok());
    asio::io_context io(1);
    std::vector<ProbeResult> results;
    {
        Engine engine(io, {});
        for (int i = 0; i < 3; ++i) {
            engine.submit(silent_udp(silent.port()),
                          [&](ProbeResult r) { results.push_back(std::move(r)); });
        }
        engine.submit(silent_dns(silent.port()),
                      [&](ProbeResult r) { results.push_back(std::move(r)); });
        // Stop once the server has read a datagram of each probe (or after 10 s at most).
        asio::steady_timer poll(io);
        auto const give_up = std::chrono::steady_clock::now() + 10s;
        std::function<void()> wait_then_stop = [&] {
            if (silent.received() >= 4 || std::chrono::steady_clock::now() > give_up) {
                engine.stop();
                return;
            }
            poll.expires_after(10ms);
            poll.async_wait([&](boost::system::error_code) { wait_then_stop(); });
        };
        wait_then_stop();
        // The loop runs out of work long before the probes' 60 s timeout: 20 s at most.
        io.run_for(20s);
        EXPECT_TRUE(io.stopped()) << "probes still hold the loop after Engine::stop()";
        EXPECT_GE(silent.received(), 4u);
    }
    ASSERT_EQ(results.size(), 4u);
    for (auto const& r : results) {
        EXPECT_FALSE(r.up);
        EXPECT_EQ(r.error, ProbeError::cancelled) << r.detail;
    }
}

}  // namespace
}  // namespace portwatch::probe
