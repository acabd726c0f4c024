// Issue 17 item 3: what a killed run started must never deliver after the next run's newer
// message. The notifier is a `sh` wrapper whose child (its own pid, same process group) takes
// 3 s to append the message; portwatch is killed 1 s into that delivery, the target comes
// back, and the next run announces the recovery. The old failure message must not arrive
// after it (the next run kills, or waits for, whatever the killed run left behind).
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "reliability/reliability_support.hpp"
#include "support/background_process.hpp"

namespace portwatch::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string const down_word = "\xEC\x9E\xA5\xEC\x95\xA0";  // 장애
std::string const up_word = "\xEB\xB3\xB5\xEA\xB5\xAC";    // 복구

/// One target, DOWN at first, and the wrapper notifier (slow while the file `slow` exists).
struct StaleCase {
    TempDir dir;
    FlipPort port{false};
    fs::path notifier =
        write_script(dir, "notify.sh",
                     "d=$(dirname \"$0\")\n"
                     "if [ -e \"$d/slow\" ]; then\n"
                     "  sh -c 'echo $$ > \"$1/child.pid\"; sleep 3; printf \"%s\\n\" \"$2\" >> "
                     "\"$1/messages.log\"' child \"$d\" \"$1\" &\n"
                     "  wait\n"
                     "  exit 0\n"
                     "fi\n"
                     "printf '%s\\n' \"$1\" >> \"$d/messages.log\"");
    int child = -1;

    StaleCase() { dir.write("slow", ""); }
    ~StaleCase() {
        if (child > 0 && process_alive(child)) {
            ::kill(child, SIGKILL);  // the grandchild this test made the notifier start
        }
    }

    /// Waits for the slow notifier's child, lets it run 1 s, then SIGKILLs `p`.
    void kill_one_second_into_delivery(BackgroundProcess& p) {
        ASSERT_TRUE(poll_until([&] { return fs::exists(dir / "child.pid"); }, 20s))
            << "the notifier never started";
        ASSERT_TRUE(poll_until(
            [&] {
                std::ifstream in(dir / "child.pid");
                return static_cast<bool>(in >> child);
            },
            5s));
        std::this_thread::sleep_for(1s);
        p.signal(SIGKILL);
        ASSERT_EQ(p.wait(10s), -SIGKILL);
    }

    /// The target is back; the notifier is fast from now on.
    void recover() {
        ASSERT_TRUE(port.set(true));
        fs::remove(dir / "slow");
    }

    std::vector<std::string> messages() const {
        std::vector<std::string> out;
        std::ifstream in(dir / "messages.log");
        for (std::string line; std::getline(in, line);) {
            out.push_back(line);
        }
        return out;
    }

    bool recovered() const {
        for (auto const& m : messages()) {
            if (m.find(up_word) != std::string::npos) {
                return true;
            }
        }
        return false;
    }

    /// Once the old child is gone: the recovery came last, no failure message after it.
    void expect_not_overtaken() const {
        ASSERT_GT(child, 0);
        EXPECT_TRUE(poll_until([&] { return !process_alive(child); }, 10s));
        auto const got = messages();
        std::string const all = fmt::format("{}", fmt::join(got, "\n"));
        ASSERT_FALSE(got.empty());
        // [issue 17 item 3] the stale failure message is delivered after the recovery.
        EXPECT_NE(got.back().find(fmt::format("(127.0.0.1:{}) {} (", port.port(), up_word)),
                  std::string::npos)
            << "[issue 17 item 3] the last message is not the recovery; messages in order:\n"
            << all;
        auto const first_up = std::find_if(got.begin(), got.end(), [](auto const& m) {
            return m.find(up_word) != std::string::npos;
        });
        auto const late_down = std::find_if(first_up, got.end(), [](auto const& m) {
            return m.find(down_word) != std::string::npos;
        });
        EXPECT_EQ(late_down, got.end())
            << "[issue 17 item 3] a failure message arrived after the recovery; messages in "
               "order:\n"
            << all;
    }
};

TEST(StaleDelivery, CheckKilledDuringDeliveryIsNotOvertakenByItsNotifiersChild) {
    StaleCase c;
    c.dir.write("port_check.lst", fmt::format("127.0.0.1 {} Svc\n", c.port.port()));
    std::vector<std::string> const args{portwatch_binary(),    "-C",
                                        c.dir.path().string(), "check",
                                        "--notify-cmd",        c.notifier.string()};
    {
        BackgroundProcess first(args, c.dir.path(), {}, c.dir / "first.log");
        ASSERT_NO_FATAL_FAILURE(c.kill_one_second_into_delivery(first));
    }
    c.recover();
    auto const r = run_process(args, {.cwd = c.dir.path(), .timeout = 30s});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    ASSERT_TRUE(c.recovered()) << r.out << r.err;
    c.expect_not_overtaken();
}

TEST(StaleDelivery, RunKilledDuringDeliveryIsNotOvertakenByItsNotifiersChild) {
    StaleCase c;
    c.dir.write("portwatch.yaml",
                fmt::format("defaults:\n  interval: 100ms\n  timeout: 500ms\n"
                            "  failure_threshold: 1\n  success_threshold: 1\n"
                            "notifiers:\n  - {{type: exec, command: ['{}'], timeout: 10s}}\n"
                            "store: sqlite:portwatch.db\n"
                            "targets:\n  - {{name: svc, host: 127.0.0.1, port: {}, "
                            "description: Svc}}\n",
                            c.notifier.string(), c.port.port()));
    std::vector<std::string> const args{portwatch_binary(), "run", "-c",
                                        (c.dir / "portwatch.yaml").string()};
    {
        BackgroundProcess first(args, c.dir.path(), {}, c.dir / "first.log");
        ASSERT_NO_FATAL_FAILURE(c.kill_one_second_into_delivery(first));
    }
    c.recover();
    BackgroundProcess second(args, c.dir.path(), {}, c.dir / "second.log");
    ASSERT_TRUE(poll_until([&] { return c.recovered(); }, 20s)) << c.dir.read("second.log");
    second.signal(SIGTERM);
    EXPECT_EQ(second.wait(15s), 0) << c.dir.read("second.log");
    c.expect_not_overtaken();
}

}  // namespace
}  // namespace portwatch::test
