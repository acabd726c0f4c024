// `kind: http` redirects to a host name: resolved through the engine's resolver (c-ares on
// the loop, cached), like the first hop, never by a blocking lookup.
#include "probe/http.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <fmt/format.h>

#include "probe/engine.hpp"
#include "probe/http_options.hpp"
#include "probe/http_support.hpp"
#include "probe/resolver.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::probe {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using http_test::map;
using http_test::opt;
using http_test::PyServer;
using http_test::scalar;

// An http request for `url` that follows one redirect.
ProbeRequest follow_one(std::string const& url) {
    config::OptionBag bag{.file = "t.yaml", .path = "targets[0]"};
    bag.entries.push_back(opt("url", scalar(url)));
    bag.entries.push_back(opt("http", map({opt("follow_redirects", scalar("1"))})));
    config::Diagnostics out;
    auto options = http_kind.parse_options(bag, out);
    EXPECT_TRUE(out.empty()) << out.front().to_string();
    config::Target t;
    http_kind.complete_target(bag, t);
    return {.kind = "http",
            .host = t.connect_host(),
            .port = t.port,
            .timeout = 5s,
            .options = std::move(options)};
}

class HttpRedirect : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_NE(first_.port(), 0);
        ASSERT_NE(second_.port(), 0);
    }
    // A redirect from the first server to `localhost` (/etc/hosts) on the second.
    std::string to_localhost() const {
        return fmt::format("http://127.0.0.1:{}/to?localhost:{}", first_.port(), second_.port());
    }
    test::TempDir dir_;
    PyServer first_{dir_, "first"};
    PyServer second_{dir_, "second"};
};

TEST_F(HttpRedirect, ToLocalhostThroughTheEngineIsUp) {
    auto const r = probe_all({follow_one(to_localhost())}, {}).at(0);
    EXPECT_TRUE(r.up) << r.detail;
    EXPECT_EQ(r.detail, fmt::format("GET http://localhost:{}/ok: status 200 after 1 redirect(s)",
                                    second_.port()));
}

// The kind's steps run by hand on a connected socket with a resolver of the test's own: the
// redirect's host is then in that resolver's cache, so the lookup went through it (c-ares on
// the loop) and not through a lookup of its own.
TEST_F(HttpRedirect, HostNameIsLookedUpByTheStepsResolver) {
    asio::io_context io(1);
    auto const resolver = std::make_shared<Resolver>(io, Resolver::Options{});
    asio::ip::tcp::socket socket(io);
    boost::system::error_code ec;
    socket.connect({asio::ip::make_address("127.0.0.1"), first_.port()}, ec);
    ASSERT_FALSE(ec) << ec.message();
    auto const request = follow_one(to_localhost());
    auto const start = std::chrono::steady_clock::now();
    std::optional<StepResult> result;
    http_kind.run_steps(StreamStep{socket, request, start + request.timeout, start, resolver},
                        [&](StepResult r) { result = std::move(r); });
    io.run_for(10s);
    ASSERT_TRUE(result.has_value());
    EXPECT_FALSE(result->error) << result->detail;
    auto const cached = resolver->cached("localhost");
    ASSERT_NE(cached, nullptr) << "the redirect's host was not looked up by the step's resolver";
    EXPECT_EQ(cached->error, ProbeError::none);
}

}  // namespace
}  // namespace portwatch::probe
