#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace portwatch::test {

/// A network namespace made for one test, with `lo` up, removed (with its rules) in the
/// destructor. Code runs inside it through run(), on a helper thread that entered it with
/// setns(2): every socket that code opens lives in the namespace. Needs root
/// (CAP_SYS_ADMIN, CAP_NET_ADMIN) and `ip`, plus `nft` or `iptables` for drop().
///
///     NetNs ns;
///     if (!ns.ok()) GTEST_SKIP() << "no network namespace: " << ns.error();
///     ASSERT_TRUE(ns.drop("127.0.0.1", 9)) << ns.error();
///     ns.run([&] { result = probe(...127.0.0.1:9...); });  // silently dropped
class NetNs {
  public:
    /// Creates the namespace "pw-test-PID-N". On failure ok() is false and error() says why.
    NetNs();
    /// Deletes the namespace.
    ~NetNs();
    NetNs(NetNs const&) = delete;
    NetNs& operator=(NetNs const&) = delete;

    bool ok() const { return ok_; }
    std::string const& error() const { return error_; }
    std::string const& name() const { return name_; }

    /// Silently drops TCP packets to address:port inside the namespace (no RST, no ICMP), so
    /// connects there time out. Address: an IPv4 or IPv6 literal (127.0.0.1 or ::1 are
    /// always there). Returns false (and sets error()) when no firewall tool works.
    bool drop(std::string const& address, std::uint16_t port);

    /// Runs an nft script (`nft add table ...; add rule ...`) inside the namespace. Returns
    /// false (and sets error()) when nft is missing or refuses it.
    bool nft(std::string const& script);

    /// Runs fn on a thread inside the namespace and waits for it. Returns false (error() set)
    /// if the thread could not enter the namespace; fn then did not run.
    bool run(std::function<void()> const& fn);

  private:
    std::string name_;
    std::string error_;
    bool ok_ = false;
};

/// True when the process may create network namespaces (root, kernel allows it).
bool netns_supported(std::string* why = nullptr);

}  // namespace portwatch::test
