#pragma once

// Debian's prometheus-blackbox-exporter on loopback, to compare portwatch's verdicts with
// blackbox_exporter's on the same targets: the exporter itself, and agree(), which runs a
// table of cases through both. Header-only.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "e2e/e2e_support.hpp"
#include "support/background_process.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::test {

/// The exporter with a module config (YAML `modules:` text), listening on 127.0.0.1. With a
/// prefix (`/usr/sbin/ip netns exec NAME`: a path, the process is started by execv), it runs, and
/// is asked, inside that network namespace.
class Blackbox {
  public:
    static constexpr char const* binary = "/usr/bin/prometheus-blackbox-exporter";
    static bool installed() { return std::filesystem::exists(binary); }

    /// Starts it and waits (10 s at most) until it serves /metrics: see ready().
    Blackbox(TempDir const& dir, std::string const& modules, std::vector<std::string> prefix = {})
        : dir_(dir), prefix_(std::move(prefix)) {
        dir.write("blackbox.yml", modules);
        OpenPort p;
        port_ = p.port();
        p.close();
        process_ = std::make_unique<BackgroundProcess>(
            with_prefix({binary, "--config.file=" + (dir / "blackbox.yml").string(),
                         fmt::format("--web.listen-address=127.0.0.1:{}", port_)}),
            dir.path(), std::map<std::string, std::string>{}, dir / "blackbox.log");
        ready_ = poll_until(
            [&] {
                auto const r =
                    run_process(with_prefix({"curl", "-s", "--noproxy", "*", "--max-time", "2",
                                             fmt::format("http://127.0.0.1:{}/metrics", port_)}),
                                {.timeout = std::chrono::seconds(5)});
                return r.exit_code == 0 && !r.out.empty();
            },
            std::chrono::seconds(10));
    }
    bool ready() const { return ready_; }
    std::string log() const { return dir_.read("blackbox.log"); }

    /// The metrics of one probe (empty when the exporter did not answer).
    std::string probe(std::string const& module, std::string const& target) const {
        return run_process(with_prefix({"curl", "-s", "--noproxy", "*", "--max-time", "10",
                                        fmt::format("http://127.0.0.1:{}/probe?module={}&target={}",
                                                    port_, module, target)}),
                           {.timeout = std::chrono::seconds(15)})
            .out;
    }

    /// A metric's value in a probe's output (the first sample of that name).
    static std::optional<double> metric(std::string const& out, std::string const& name) {
        auto const at = out.find("\n" + name + " ");
        if (at == std::string::npos) {
            return std::nullopt;
        }
        return std::stod(out.substr(at + name.size() + 2));
    }

    /// probe_success of one probe, or nullopt when the exporter did not answer.
    std::optional<bool> success(std::string const& module, std::string const& target) const {
        auto const v = metric(probe(module, target), "probe_success");
        if (!v) {
            return std::nullopt;
        }
        return *v == 1;
    }

    /// argv behind the prefix.
    std::vector<std::string> with_prefix(std::vector<std::string> const& argv) const {
        auto all = prefix_;
        all.insert(all.end(), argv.begin(), argv.end());
        return all;
    }

  private:
    TempDir const& dir_;
    std::vector<std::string> prefix_;
    std::uint16_t port_ = 0;
    std::unique_ptr<BackgroundProcess> process_;
    bool ready_ = false;
};

/// One target probed by both: portwatch's target keys (YAML flow map without name and
/// description), the exporter's module (YAML flow map) and target, and the expected verdict.
struct AgreementCase {
    std::string name;
    std::string portwatch;
    std::string module;
    std::string target;
    bool up;
    bool same_expiry = false;  ///< compare cert_not_after with probe_ssl_earliest_cert_expiry
};

/// Runs every case through both (`portwatch check -c --json` once, the exporter once per case)
/// and compares; with a prefix, both run inside that network namespace.
inline void agree(SeedDir const& dir, std::vector<AgreementCase> const& cases,
                  std::vector<std::string> const& prefix = {}) {
    using nlohmann::json;
    std::string modules = "modules:\n";
    std::string targets = "defaults: {timeout: 3s}\ntargets:\n";
    for (auto const& c : cases) {
        modules += fmt::format("  {}: {}\n", c.name, c.module);
        targets += fmt::format("  - {{name: {0}, description: {0}, {1}}}\n", c.name, c.portwatch);
    }
    dir.write("portwatch.yaml",
              targets + fmt::format("store: json:{}\n", (dir / "s.json").string()));
    Blackbox bb(dir, modules, prefix);
    ASSERT_TRUE(bb.ready()) << bb.log();

    auto const r =
        run_process(bb.with_prefix({portwatch_binary(), "-C", dir.path().string(), "check", "-c",
                                    (dir / "portwatch.yaml").string(), "--json"}),
                    {.timeout = std::chrono::seconds(60)});
    ASSERT_LE(r.exit_code, 3) << r.out << r.err;
    std::map<std::string, json> ours;
    auto const report = json::parse(r.out);
    for (auto const& t : report["targets"]) {
        ours[t["description"].get<std::string>()] = t;
    }
    ASSERT_EQ(ours.size(), cases.size()) << r.out << r.err;
    for (auto const& c : cases) {
        auto const out = bb.probe(c.name, c.target);
        auto const theirs = Blackbox::metric(out, "probe_success");
        auto const& t = ours[c.name];
        ASSERT_TRUE(theirs.has_value()) << c.name << ": no answer\n" << bb.log();
        EXPECT_EQ(*theirs == 1, c.up) << c.name << ": blackbox\n" << out;
        EXPECT_EQ(t["status"] == "UP", c.up) << c.name << ": portwatch " << t.dump();
        if (c.same_expiry) {
            auto const expiry = Blackbox::metric(out, "probe_ssl_earliest_cert_expiry");
            ASSERT_TRUE(expiry.has_value()) << c.name << "\n" << out;
            ASSERT_TRUE(t.contains("cert_not_after")) << c.name << ": " << t.dump();
            EXPECT_EQ(t["cert_not_after"].get<std::int64_t>(), static_cast<std::int64_t>(*expiry))
                << c.name;
        }
    }
}

}  // namespace portwatch::test
