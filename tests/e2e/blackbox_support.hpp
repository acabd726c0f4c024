#pragma once

// Debian's prometheus-blackbox-exporter on loopback, to compare portwatch's verdicts with
// blackbox_exporter's on the same targets. Header-only.

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "e2e/e2e_support.hpp"
#include "support/background_process.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::test {

/// The exporter with a module config (YAML `modules:` text), listening on 127.0.0.1.
class Blackbox {
  public:
    static constexpr char const* binary = "/usr/bin/prometheus-blackbox-exporter";
    static bool installed() { return std::filesystem::exists(binary); }

    /// Starts it and waits (10 s at most) until it serves /metrics: see ready().
    Blackbox(TempDir const& dir, std::string const& modules) : dir_(dir) {
        dir.write("blackbox.yml", modules);
        OpenPort p;
        port_ = p.port();
        p.close();
        process_ = std::make_unique<BackgroundProcess>(
            std::vector<std::string>{binary, "--config.file=" + (dir / "blackbox.yml").string(),
                                     fmt::format("--web.listen-address=127.0.0.1:{}", port_)},
            dir.path(), std::map<std::string, std::string>{}, dir / "blackbox.log");
        ready_ = poll_until(
            [&] {
                auto const r = run_process({"curl", "-s", "--noproxy", "*", "--max-time", "2",
                                            fmt::format("http://127.0.0.1:{}/metrics", port_)},
                                           {.timeout = std::chrono::seconds(5)});
                return r.exit_code == 0 && !r.out.empty();
            },
            std::chrono::seconds(10));
    }
    bool ready() const { return ready_; }
    std::string log() const { return dir_.read("blackbox.log"); }

    /// The metrics of one probe (empty when the exporter did not answer).
    std::string probe(std::string const& module, std::string const& target) const {
        return run_process({"curl", "-s", "--noproxy", "*", "--max-time", "10",
                            fmt::format("http://127.0.0.1:{}/probe?module={}&target={}", port_,
                                        module, target)},
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

  private:
    TempDir const& dir_;
    std::uint16_t port_ = 0;
    std::unique_ptr<BackgroundProcess> process_;
    bool ready_ = false;
};

}  // namespace portwatch::test
