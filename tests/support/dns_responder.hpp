#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "support/background_process.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::test {

/// tests/support/dns_responder.py on 127.0.0.1 (UDP and TCP on one port), run by
/// /usr/bin/python3: ok.test (A 127.0.0.10 and .11, AAAA ::1), alias.test (CNAME ok.test),
/// nx.test (NXDOMAIN), servfail.test, wrong.test (A 127.0.0.99), mx.test, txt.test,
/// srv.test, soa.test, PTR 1.0.0.127.in-addr.arpa (localhost.test), big.test (truncated over UDP, A
/// 127.0.0.42 over TCP) and silent.test (never answered). Header-only: needs PORTWATCH_SOURCE_DIR
/// (pw_add_test).
class DnsResponder {
  public:
    DnsResponder()
        : process_(std::make_unique<BackgroundProcess>(
              std::vector<std::string>{"/usr/bin/python3",
                                       PORTWATCH_SOURCE_DIR "/tests/support/dns_responder.py"},
              dir_.path(), std::map<std::string, std::string>{}, dir_ / "log")) {
        poll_until(
            [&] {
                auto const q = queries();
                if (q.empty() || !q[0].starts_with("port ")) {
                    return false;
                }
                auto const s = q[0].substr(5);
                std::from_chars(s.data(), s.data() + s.size(), port_);
                return true;
            },
            std::chrono::seconds(10));
    }

    bool ok() const { return port_ != 0; }
    std::uint16_t port() const { return port_; }
    /// What it printed: "port N", then "udp NAME" or "tcp NAME" per query.
    std::vector<std::string> queries() const {
        std::istringstream in(dir_.read("log"));
        std::vector<std::string> lines;
        for (std::string line; std::getline(in, line);) {
            lines.push_back(line);
        }
        return lines;
    }

  private:
    TempDir dir_;
    std::unique_ptr<BackgroundProcess> process_;
    std::uint16_t port_ = 0;
};

}  // namespace portwatch::test
