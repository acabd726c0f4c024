#include "probe/resolver.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "support/netns.hpp"

namespace portwatch::probe {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

struct Waiter final : ResolveWaiter {
    void on_resolved(std::shared_ptr<Resolution const> const& r) override { got.push_back(r); }
    std::vector<std::shared_ptr<Resolution const>> got;
};

bool has(Resolution const& r, char const* address) {
    return std::any_of(r.addresses.begin(), r.addresses.end(),
                       [&](auto const& a) { return a.to_string() == address; });
}

// Resolves `host` on a loop of its own, bounded by `bound`; null when nothing came back.
std::shared_ptr<Resolution const> resolve_once(std::string const& host,
                                               std::chrono::milliseconds bound) {
    asio::io_context io;
    auto resolver = std::make_shared<Resolver>(io, Resolver::Options{});
    auto waiter = std::make_shared<Waiter>();
    if (auto r = resolver->resolve(host, waiter)) {
        return r;
    }
    io.run_for(bound);
    return waiter->got.empty() ? nullptr : waiter->got.front();
}

TEST(Resolver, LocalhostComesFromHostsFile) {
    auto const r = resolve_once("localhost", 5s);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->error, ProbeError::none) << r->detail;
    EXPECT_TRUE(has(*r, "127.0.0.1")) << r->addresses.size();
}

TEST(Resolver, AnswerIsCachedAndShared) {
    asio::io_context io;
    auto resolver = std::make_shared<Resolver>(io, Resolver::Options{});
    auto first = std::make_shared<Waiter>();
    auto r1 = resolver->resolve("localhost", first);
    if (r1 == nullptr) {
        io.run_for(5s);
        ASSERT_EQ(first->got.size(), 1u);
        r1 = first->got.front();
    }
    auto second = std::make_shared<Waiter>();
    auto const r2 = resolver->resolve("localhost", second);
    // The second lookup is answered from the cache, at once, with the same answer.
    ASSERT_NE(r2, nullptr);
    EXPECT_EQ(r2.get(), r1.get());
    EXPECT_TRUE(second->got.empty());
}

// Inside a namespace of our own there is no route to any name server: a lookup must end
// with a dns-* error (never hang, never an address).
TEST(Resolver, NameThatCannotResolveIsDnsError) {
    test::NetNs ns;
    if (!ns.ok()) {
        GTEST_SKIP() << "cannot create a network namespace: " << ns.error();
    }
    std::shared_ptr<Resolution const> r;
    ASSERT_TRUE(ns.run([&] { r = resolve_once("portwatch-test.invalid", 10s); })) << ns.error();
    ASSERT_NE(r, nullptr) << "no answer within the bound";
    EXPECT_TRUE(r->error == ProbeError::dns_nxdomain || r->error == ProbeError::dns_failure ||
                r->error == ProbeError::dns_timeout)
        << probe_error_name(r->error);
    EXPECT_TRUE(r->addresses.empty());
    EXPECT_EQ(r->detail.rfind("resolve portwatch-test.invalid: ", 0), 0u) << r->detail;
}

}  // namespace
}  // namespace portwatch::probe
