// Issue 17 item 4: events saved while the wall clock was 10 days off (a boot without a
// real-time clock), then the clock corrected: the next run delivers them, neither dropping them
// as too old nor waiting 10 days. The wrong clock comes from libfaketime (Debian `faketime`).
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "reliability/reliability_support.hpp"

namespace portwatch::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::vector<std::string> lines(fs::path const& p) {
    std::vector<std::string> out;
    std::ifstream in(p);
    for (std::string line; std::getline(in, line);) {
        out.push_back(line);
    }
    return out;
}

/// `failing` runs with the clock `offset` off ("-10d", "+10d") whose notifier fails, then a
/// run with the clock `later` ("+0" = right; "+2h" = past any backoff, which is at most 1 h)
/// and a working notifier: the pending failure message is delivered.
void expect_delivered_after_clock_step(std::string const& offset, int failing,
                                       std::string const& later) {
    if (!fs::exists("/usr/bin/faketime")) {
        GTEST_SKIP() << "needs /usr/bin/faketime (Debian package faketime)";
    }
    SeedDir dir;
    auto const port = closed_port();
    dir.list(fmt::format("127.0.0.1 {} Svc\n", port));
    auto const record =
        write_script(dir, "record.sh", "printf '%s\\n' \"$1\" >> \"$(dirname \"$0\")/calls.log\"");
    auto const faked = [&](std::string const& when, std::string const& notify) {
        // Under ASan, libfaketime is preloaded ahead of the ASan runtime: allowed explicitly
        // (no effect on other builds).
        char const* asan = std::getenv("ASAN_OPTIONS");
        std::string const options =
            std::string(asan != nullptr ? asan : "") + ":verify_asan_link_order=0";
        return run_process(
            {"/usr/bin/env", "ASAN_OPTIONS=" + options, "/usr/bin/faketime", "-f", when,
             portwatch_binary(), "-C", dir.path().string(), "check", "--notify-cmd", notify},
            {.timeout = 60s});
    };
    for (int i = 0; i < failing; ++i) {
        auto const r = faked(offset, "/bin/false");
        ASSERT_EQ(r.exit_code, 3) << r.out << r.err;  // pending: the notifier failed
    }
    auto const r = faked(later, record.string());
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    auto const calls = lines(dir / "calls.log");
    ASSERT_EQ(calls.size(), 1u) << "[issue 17 item 4] the event saved with the clock " << offset
                                << " was not delivered by a run at " << later << "\n"
                                << r.out << r.err;
    EXPECT_NE(calls[0].find(fmt::format("Svc (127.0.0.1:{}) \xEC\x9E\xA5\xEC\x95\xA0 (", port)),
              std::string::npos)
        << calls[0];
}

TEST(ClockSteps, CheckDeliversWhatWasSavedWithAClockTenDaysBehind) {
    // Not "older than 7 days": the event is a minute old, whatever the clock said.
    expect_delivered_after_clock_step("-10d", 1, "+0");
}

TEST(ClockSteps, CheckDoesNotStallWhatFailedTwiceWithAClockTenDaysAhead) {
    // After two failures the backoff applies (at most 1 h), not the 10 days the clock was off.
    expect_delivered_after_clock_step("+10d", 2, "+2h");
}

}  // namespace
}  // namespace portwatch::test
