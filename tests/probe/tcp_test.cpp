// The TCP kind and the kind interface, through the engine, on loopback only.
#include "probe/tcp.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "probe/engine.hpp"
#include "support/listener.hpp"
#include "support/netns.hpp"

namespace portwatch::probe {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using test::ClosedPort;
using test::LoopbackListener;

std::string port_text(std::uint16_t p) {
    return std::to_string(p);
}

ProbeResult probe_one(ProbeRequest req, EngineOptions options = {}) {
    auto r = probe_all({std::move(req)}, options);
    return r.at(0);
}

TEST(TcpKind, ListeningPortIsUpAndClosedWithFin) {
    LoopbackListener server;
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = probe_one({.host = "127.0.0.1", .port = server.port(), .timeout = 5s});
    EXPECT_TRUE(r.up) << r.detail;
    EXPECT_FALSE(r.error);
    EXPECT_EQ(r.reason(), "");
    EXPECT_EQ(r.detail, "");
    EXPECT_EQ(r.address, "127.0.0.1");
    EXPECT_GT(r.latency.count(), 0);
    ASSERT_TRUE(server.wait_ended(1, 5s));
    EXPECT_EQ(server.eofs(), 1u);
    EXPECT_EQ(server.resets(), 0u);
}

TEST(TcpKind, ClosedPortIsRefusedWithExactDetail) {
    ClosedPort closed;
    ASSERT_TRUE(closed.ok());
    auto const r = probe_one({.kind = "tcp", .host = "127.0.0.1", .port = closed.port()});
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.error, ProbeError::refused);
    EXPECT_EQ(r.error, ProbeCondition::target_failed);
    EXPECT_FALSE(r.is_local());
    EXPECT_EQ(r.reason(), "refused");
    EXPECT_EQ(r.detail,
              "connect to 127.0.0.1:" + port_text(closed.port()) + ": Connection refused");
    EXPECT_EQ(r.address, "127.0.0.1");
}

TEST(TcpKind, Ipv6LoopbackUpAndRefused) {
    if (!test::ipv6_loopback_available()) {
        GTEST_SKIP() << "no IPv6 loopback";
    }
    LoopbackListener server({.address = "::1"});
    ASSERT_TRUE(server.ok()) << server.error();
    ClosedPort closed("::1");
    ASSERT_TRUE(closed.ok());
    auto const r = probe_all(
        {{.host = "::1", .port = server.port()}, {.host = "::1", .port = closed.port()}}, {});
    EXPECT_TRUE(r[0].up) << r[0].detail;
    EXPECT_EQ(r[0].address, "::1");
    EXPECT_EQ(r[1].reason(), "refused");
    EXPECT_EQ(r[1].detail, "connect to [::1]:" + port_text(closed.port()) + ": Connection refused");
}

TEST(TcpKind, SilentDropIsTimeoutWithExactDetail) {
    test::NetNs ns;
    if (!ns.ok()) {
        GTEST_SKIP() << "cannot create a network namespace: " << ns.error();
    }
    ASSERT_TRUE(ns.drop("127.0.0.1", 9)) << ns.error();
    ProbeResult r;
    ASSERT_TRUE(ns.run([&] { r = probe_one({.host = "127.0.0.1", .port = 9, .timeout = 300ms}); }))
        << ns.error();
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "timeout");
    EXPECT_EQ(r.detail, "connect to 127.0.0.1:9: no answer within 300 ms");
}

TEST(TcpKind, UnknownKindIsLocalNotDown) {
    LoopbackListener server;
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = probe_one({.kind = "gopher", .host = "127.0.0.1", .port = server.port()});
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "unsupported-kind");
    EXPECT_TRUE(r.is_local());
    EXPECT_EQ(r.detail, "probe kind 'gopher' is not supported");
    EXPECT_EQ(server.accepted(), 0u);
}

// A kind of the tests' own, to prove the interface: reads one line and compares its start.
enum class ExpectError { mismatch = 1, closed };

class ExpectCategory final : public ProbeCategory {
  public:
    char const* name() const noexcept override { return "portwatch.test.expect"; }
    std::string message(int ev) const override { return ev == 1 ? "mismatch" : "closed"; }
    std::error_condition default_error_condition(int) const noexcept override {
        return ProbeCondition::target_failed;
    }
    char const* name_of(int ev) const noexcept override {
        return ev == 1 ? "test-mismatch" : ev == 2 ? "test-closed" : "";
    }
    int from_name(std::string_view n) const noexcept override {
        return n == "test-mismatch" ? 1 : n == "test-closed" ? 2 : 0;
    }
};

ExpectCategory const expect_category;

struct ExpectOptions final : KindOptions {
    std::string want;
};

class ExpectKind final : public Kind {
  public:
    ExpectKind() : Kind("expect-test", Transport::stream, true) {}
    ProbeCategory const* errors() const override { return &expect_category; }

    void run_steps(StreamStep step, StepDone done) const override {
        auto const* o = static_cast<ExpectOptions const*>(step.request.options.get());
        auto st = std::make_shared<Read>(Read{step.socket, o->want, std::move(done)});
        read_more(st);
    }

  private:
    struct Read {
        asio::ip::tcp::socket& socket;
        std::string want;
        StepDone done;
        std::string line;
        std::array<char, 256> chunk{};
    };

    static void read_more(std::shared_ptr<Read> const& st) {
        st->socket.async_read_some(
            asio::buffer(st->chunk), [st](boost::system::error_code ec, std::size_t n) {
                if (ec) {
                    st->done({{static_cast<int>(ExpectError::closed), expect_category},
                              "read: " + ec.message()});
                    return;
                }
                st->line.append(st->chunk.data(), n);
                auto const nl = st->line.find('\n');
                if (nl == std::string::npos) {
                    read_more(st);
                    return;
                }
                auto const line = st->line.substr(0, nl);
                if (line.rfind(st->want, 0) == 0) {
                    st->done({{}, "got " + line});
                } else {
                    st->done({{static_cast<int>(ExpectError::mismatch), expect_category},
                              "got " + line});
                }
            });
    }
};

// Never ends by itself; hands its completion to the test.
class StallKind final : public Kind {
  public:
    StallKind() : Kind("stall-test", Transport::stream, true) {}
    void run_steps(StreamStep, StepDone done) const override {
        held = std::move(done);
        if (on_start) {
            on_start();
        }
    }
    mutable StepDone held;
    std::function<void()> on_start;
};

// Takes the addresses itself and answers at once.
class DatagramKind final : public Kind {
  public:
    DatagramKind() : Kind("datagram-test", Transport::datagram, true) {}
    void run_datagram(DatagramStep step, StepDone done) const override {
        done({{},
              std::to_string(step.addresses.size()) + " address(es), port " +
                  std::to_string(step.request.port)});
    }
};

ExpectKind const expect_kind;
DatagramKind const datagram_kind;

ProbeRequest expect(std::uint16_t port, std::string want, std::chrono::milliseconds timeout = 5s) {
    auto o = std::make_shared<ExpectOptions>();
    o->want = std::move(want);
    return {.kind = "expect-test",
            .host = "127.0.0.1",
            .port = port,
            .timeout = timeout,
            .options = std::move(o)};
}

TEST(KindInterface, StreamStepsRunOnTheConnectedSocket) {
    LoopbackListener server({.banner = "SSH-2.0-test\r\n"});
    ASSERT_TRUE(server.ok()) << server.error();
    std::array<Kind const*, 2> const kinds{&tcp_kind, &expect_kind};
    auto const r = probe_all({expect(server.port(), "SSH-2.0"), expect(server.port(), "HTTP/")},
                             {.kinds = kinds});
    EXPECT_TRUE(r[0].up) << r[0].detail;
    EXPECT_EQ(r[0].detail, "got SSH-2.0-test\r");
    EXPECT_EQ(r[0].address, "127.0.0.1");
    EXPECT_FALSE(r[1].up);
    EXPECT_EQ(r[1].reason(), "test-mismatch");
    EXPECT_EQ(r[1].error, ProbeCondition::target_failed);
    EXPECT_EQ(r[1].detail, "got SSH-2.0-test\r");
    ASSERT_TRUE(server.wait_ended(2, 5s));
}

TEST(KindInterface, EngineDeadlineEndsSteps) {
    LoopbackListener server;  // says nothing
    ASSERT_TRUE(server.ok()) << server.error();
    std::array<Kind const*, 1> const kinds{&expect_kind};
    auto const r = probe_one(expect(server.port(), "SSH-", 300ms), {.kinds = kinds});
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "timeout");
    EXPECT_EQ(r.detail,
              "expect-test on 127.0.0.1:" + port_text(server.port()) + ": no answer within 300 ms");
    ASSERT_TRUE(server.wait_ended(1, 5s));
}

TEST(KindInterface, StopCancelsStepsAndIgnoresALateDone) {
    LoopbackListener server;
    ASSERT_TRUE(server.ok()) << server.error();
    StallKind stall;
    std::array<Kind const*, 1> const kinds{&stall};
    asio::io_context io;
    Engine engine(io, {.kinds = kinds});
    stall.on_start = [&] { asio::post(io, [&] { engine.stop(); }); };
    std::vector<ProbeResult> got;
    engine.submit({.kind = "stall-test", .host = "127.0.0.1", .port = server.port()},
                  [&](ProbeResult r) { got.push_back(std::move(r)); });
    io.run_for(10s);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_TRUE(got[0].is_cancelled()) << got[0].detail;
    EXPECT_EQ(got[0].reason(), "cancelled");
    ASSERT_TRUE(stall.held);
    stall.held({{}, "too late"});
    io.restart();
    io.run_for(1s);
    EXPECT_EQ(got.size(), 1u);
}

TEST(KindInterface, DatagramKindGetsTheResolvedAddresses) {
    std::array<Kind const*, 1> const kinds{&datagram_kind};
    auto const r =
        probe_one({.kind = "datagram-test", .host = "127.0.0.1", .port = 53}, {.kinds = kinds});
    EXPECT_TRUE(r.up) << r.detail;
    EXPECT_EQ(r.detail, "1 address(es), port 53");
    EXPECT_EQ(r.address, "127.0.0.1");
}

}  // namespace
}  // namespace portwatch::probe
