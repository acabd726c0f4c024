#include "notify/exec.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <regex>

#include "support/temp_dir.hpp"
#include "util/time.hpp"

namespace portwatch::notify {
namespace {

/// format_iso_local with the offset's colon, as PORTWATCH_TIME carries it.
std::string rfc3339(util::TimePoint t) {
    auto s = util::format_iso_local(t);
    return s.insert(s.size() - 2, ":");
}

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::TempDir;

/// Records its argv (after the first, which names the record file), environment and cwd,
/// every value hex-encoded so that any byte survives.
constexpr char const* recorder_py = R"(#!/usr/bin/env python3
import os, sys
with open(sys.argv[1], "w") as f:
    for a in sys.argv[2:]:
        f.write("ARG " + os.fsencode(a).hex() + "\n")
    for k, v in sorted(os.environb.items()):
        f.write("ENV " + k.hex() + " " + v.hex() + "\n")
    f.write("CWD " + os.fsencode(os.getcwd()).hex() + "\n")
)";

struct Record {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::string cwd;
};

std::string unhex(std::string const& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    }
    return out;
}

std::optional<Record> read_record(fs::path const& p) {
    std::ifstream in(p);
    if (!in) {
        return std::nullopt;
    }
    Record r;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string tag, a, b;
        ls >> tag >> a >> b;
        if (tag == "ARG") {
            r.args.push_back(unhex(a));
        } else if (tag == "ENV") {
            r.env[unhex(a)] = unhex(b);
        } else if (tag == "CWD") {
            r.cwd = unhex(a);
        }
    }
    return r;
}

/// True once pid is gone or a zombie (an orphan waits for init to reap it).
bool is_dead(pid_t pid) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) {
        return true;
    }
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto const close = s.rfind(')');
    return close == std::string::npos || (close + 2 < s.size() && s[close + 2] == 'Z');
}

template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit) {
    auto const deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

std::optional<pid_t> read_pid(fs::path const& p) {
    std::ifstream in(p);
    long pid = 0;
    if (in >> pid && pid > 0) {
        return static_cast<pid_t>(pid);
    }
    return std::nullopt;
}

long rss_kib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stol(line.substr(6));
        }
    }
    return -1;
}

eval::Event sample_event() {
    return eval::Event{
        .id = "ev-42",
        .kind = eval::EventKind::down,
        .key = "db.example:5432",
        .host = "db.example",
        .port = 5432,
        .description = "DB 서버 $(x)",
        .reason = "refused",
        .detail = "connection refused",
        .time = util::from_epoch_seconds(1700000000.25),
    };
}

Notification note(std::string message) {
    return Notification{sample_event(), std::move(message)};
}

class ExecTest : public ::testing::Test {
  protected:
    /// Runs one delivery to completion (bounded) and returns its result.
    DeliveryResult run(ExecNotifier& n, Notification const& msg,
                       std::chrono::milliseconds timeout = 10s) {
        std::optional<DeliveryResult> got;
        int calls = 0;
        n.deliver(msg, timeout, [&](DeliveryResult r) {
            ++calls;
            got = std::move(r);
        });
        EXPECT_EQ(calls, 0) << "done must not run inside deliver()";
        run_until([&] { return got.has_value(); }, timeout + 20s);
        // Anything left queued must not call done again.
        io_.poll();
        EXPECT_EQ(calls, 1);
        return got.value_or(DeliveryResult{DeliveryError::unknown_status, "<no completion>", {}});
    }

    template <class Pred>
    void run_until(Pred pred, std::chrono::milliseconds limit) {
        auto const deadline = std::chrono::steady_clock::now() + limit;
        while (!pred() && std::chrono::steady_clock::now() < deadline) {
            io_.restart();
            io_.run_one_for(50ms);
        }
        ASSERT_TRUE(pred()) << "timed out waiting for the io_context";
    }

    ExecOptions recorder_options() {
        auto const script = dir_.write("recorder.py", recorder_py, true);
        return ExecOptions{.argv = {script.string(), (dir_ / "record.txt").string()},
                           .cwd = dir_.path()};
    }

    asio::io_context io_;
    TempDir dir_;
};

TEST_F(ExecTest, MessageIsExactlyOneArgumentByteForByte) {
    std::string const touched = (dir_ / "pwned").string();
    struct Case {
        char const* name;
        std::string message;
    };
    std::vector<Case> const cases = {
        {"korean_down", "DB 서버 (10.0.0.1:5432) 장애 (2024.01.02 03:04:05)"},
        {"korean_up", "웹 (web:443) 복구 (2024.01.02 03:04:05)"},
        {"command_substitution", "$(touch " + touched + ")"},
        {"backticks", "`touch " + touched + "`"},
        {"semicolon", "x; rm -rf x; touch " + touched},
        {"quotes", "it's \"quoted\" 'twice'"},
        {"tab_and_newline", "a\tb\nc"},
        {"invalid_utf8", "bad \xff\xfe bytes"},
        {"spaces_kept", "  leading and trailing  "},
        {"glob", "* ? [a-z] ~ -n"},
        {"empty", ""},
    };
    ExecNotifier n(io_, recorder_options());
    for (auto const& c : cases) {
        SCOPED_TRACE(c.name);
        fs::remove(dir_ / "record.txt");
        auto const r = run(n, note(c.message));
        EXPECT_TRUE(r.ok()) << r.detail;
        auto rec = read_record(dir_ / "record.txt");
        ASSERT_TRUE(rec.has_value());
        ASSERT_EQ(rec->args.size(), 1u);
        EXPECT_EQ(rec->args[0], c.message);
        EXPECT_EQ(rec->env["PORTWATCH_MESSAGE"], c.message);
    }
    EXPECT_FALSE(fs::exists(touched));
}

TEST_F(ExecTest, EnvironmentCarriesTheEvent) {
    ::setenv("PORTWATCH_TEST_INHERITED", "kept", 1);
    ::setenv("PORTWATCH_HOST", "stale-from-parent", 1);
    ExecNotifier n(io_, recorder_options());
    auto const r = run(n, note("the message"));
    ::unsetenv("PORTWATCH_TEST_INHERITED");
    ::unsetenv("PORTWATCH_HOST");
    EXPECT_TRUE(r.ok()) << r.detail;
    auto rec = read_record(dir_ / "record.txt");
    ASSERT_TRUE(rec.has_value());
    auto const ev = sample_event();
    EXPECT_EQ(rec->env["PORTWATCH_EVENT"], "down");
    EXPECT_EQ(rec->env["PORTWATCH_HOST"], "db.example");
    EXPECT_EQ(rec->env["PORTWATCH_PORT"], "5432");
    EXPECT_EQ(rec->env["PORTWATCH_DESCRIPTION"], "DB 서버 $(x)");
    EXPECT_EQ(rec->env["PORTWATCH_REASON"], "refused");
    EXPECT_EQ(rec->env["PORTWATCH_TIME"], rfc3339(ev.time));
    EXPECT_EQ(rec->env["PORTWATCH_KEY"], "db.example:5432");
    EXPECT_EQ(rec->env["PORTWATCH_MESSAGE"], "the message");
    EXPECT_EQ(rec->env["PORTWATCH_EVENT_ID"], "ev-42");
    EXPECT_EQ(rec->env["PORTWATCH_TEST_INHERITED"], "kept");
    EXPECT_EQ(fs::canonical(rec->cwd), fs::canonical(dir_.path()));

    auto up = note("up message");
    up.event.kind = eval::EventKind::up;
    up.event.reason = "";
    EXPECT_TRUE(run(n, up).ok());
    rec = read_record(dir_ / "record.txt");
    ASSERT_TRUE(rec.has_value());
    EXPECT_EQ(rec->env["PORTWATCH_EVENT"], "up");
    EXPECT_EQ(rec->env.count("PORTWATCH_REASON"), 1u);
    EXPECT_EQ(rec->env["PORTWATCH_REASON"], "");
}

TEST_F(ExecTest, EnvironmentNamesTheTargetAndReminders) {
    ExecNotifier n(io_, recorder_options());
    auto msg = note("still down");
    msg.event.name = "주 DB";
    msg.event.group = "prod";
    msg.event.labels = {{"env", "prod"}, {"team", "blue \"b\""}};
    msg.event.reminder = true;
    ASSERT_TRUE(run(n, msg).ok());
    auto rec = read_record(dir_ / "record.txt");
    ASSERT_TRUE(rec.has_value());
    EXPECT_EQ(rec->env["PORTWATCH_EVENT"], "reminder");
    EXPECT_EQ(rec->env["PORTWATCH_NAME"], "주 DB");
    EXPECT_EQ(rec->env["PORTWATCH_GROUP"], "prod");
    EXPECT_EQ(rec->env["PORTWATCH_LABELS"], R"({"env":"prod","team":"blue \"b\""})");
    // RFC 3339: date 'T' time, an offset with a colon (or Z).
    std::regex const rfc3339_re(
        R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z))");
    EXPECT_TRUE(std::regex_match(rec->env["PORTWATCH_TIME"], rfc3339_re))
        << rec->env["PORTWATCH_TIME"];

    // Without a name (events stored by earlier versions): the key; no labels: {}.
    ASSERT_TRUE(run(n, note("down")).ok());
    rec = read_record(dir_ / "record.txt");
    ASSERT_TRUE(rec.has_value());
    EXPECT_EQ(rec->env["PORTWATCH_EVENT"], "down");
    EXPECT_EQ(rec->env["PORTWATCH_NAME"], "db.example:5432");
    EXPECT_EQ(rec->env["PORTWATCH_GROUP"], "");
    EXPECT_EQ(rec->env["PORTWATCH_LABELS"], "{}");
}

config::NotifierSpec exec_spec(std::vector<std::string> argv, std::string file = "/p.yaml") {
    return config::NotifierSpec{
        .name = "n",
        .options = {{"command",
                     config::NotifierOption{
                         .values = std::move(argv), .list = true, .line = 3, .column = 14}}},
        .file = std::move(file),
        .line = 2,
        .column = 5};
}

std::vector<std::string> exec_problems(config::NotifierSpec const& spec) {
    std::vector<config::Diagnostic> out;
    validate_exec(spec, out);
    std::vector<std::string> text;
    for (auto const& d : out)
        text.push_back(d.to_string());
    return text;
}

TEST(ExecValidate, CommandThatDoesNotExistIsAnError) {
    test::TempDir dir;
    auto const config = (dir / "portwatch.yaml").string();
    auto problems = exec_problems(exec_spec({"/nonexistent/notify"}, config));
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0], config +
                               ":3:14: notifiers.n.command: command not found: "
                               "/nonexistent/notify");
    problems = exec_problems(exec_spec({"portwatch-no-such-program-13"}, config));
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("command not found on PATH: portwatch-no-such-program-13"),
              std::string::npos);
    // Relative to the config's directory (the notifier's working directory).
    problems = exec_problems(exec_spec({"./push.sh", "x"}, config));
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("command not found: " + (dir / "./push.sh").string()),
              std::string::npos);
    dir.write("push.sh", "#!/bin/sh\n", true);
    EXPECT_TRUE(exec_problems(exec_spec({"./push.sh", "x"}, config)).empty());
    dir.write("data.txt", "x", false);
    problems = exec_problems(exec_spec({"./data.txt"}, config));
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("not executable"), std::string::npos);
    EXPECT_TRUE(exec_problems(exec_spec({"sh", "-c", "true"}, config)).empty());
}

TEST_F(ExecTest, RunsThroughPython3WhenNotExecutable) {
    auto const script = dir_.write("push_msg.py", recorder_py, false);
    ExecNotifier n(
        io_, ExecOptions{.argv = {"python3", script.string(), (dir_ / "record.txt").string()}});
    auto const r = run(n, note("장애"));
    EXPECT_TRUE(r.ok()) << r.detail;
    auto const rec = read_record(dir_ / "record.txt");
    ASSERT_TRUE(rec.has_value());
    EXPECT_EQ(rec->args, std::vector<std::string>{"장애"});
}

TEST_F(ExecTest, ExitStatusAndOutputMakeTheDetail) {
    struct Case {
        char const* name;
        char const* script;
        std::error_code error;
        std::string detail;
    };
    std::vector<Case> const cases = {
        {"exit_1", "echo first line; echo 'something went wrong' >&2; exit 1",
         DeliveryError::exit_status, "exit status 1: something went wrong"},
        {"exit_3_silent", "exit 3", DeliveryError::exit_status, "exit status 3"},
        {"exit_0_note", "echo sent; echo", {}, "exit status 0: sent"},
        {"exit_0_silent", "exit 0", {}, "exit status 0"},
        {"signal", "kill -TERM $$", DeliveryError::killed_by_signal, "killed by signal 15"},
        {"control_chars", "printf 'a\\tb\\033c \\377\\n'; exit 1", DeliveryError::exit_status,
         "exit status 1: a b c ?"},
    };
    for (auto const& c : cases) {
        SCOPED_TRACE(c.name);
        auto const script = dir_.write("s.sh", std::string("#!/bin/sh\n") + c.script + "\n", true);
        ExecNotifier n(io_, ExecOptions{.argv = {script.string()}});
        auto const r = run(n, note("m"));
        EXPECT_EQ(r.error, c.error);
        EXPECT_EQ(r.ok(), !c.error);
        EXPECT_EQ(r.detail, c.detail);
    }
}

TEST_F(ExecTest, ExecFailuresAreClear) {
    auto const plain = dir_.write("plain.py", "print('hi')\n", false);
    struct Case {
        char const* name;
        ExecOptions options;
        std::string detail;
        DeliveryError error = DeliveryError::cannot_execute;
    };
    std::vector<Case> const cases = {
        {"missing_script",
         {.argv = {(dir_ / "push_msg.py").string()}},
         "cannot execute " + (dir_ / "push_msg.py").string() + ": No such file or directory"},
        {"missing_in_path",
         {.argv = {"portwatch-no-such-command"}},
         "cannot execute portwatch-no-such-command: No such file or directory"},
        {"not_executable",
         {.argv = {plain.string()}},
         "cannot execute " + plain.string() + ": Permission denied"},
        {"bad_cwd",
         {.argv = {"true"}, .cwd = dir_ / "nowhere"},
         "cannot change directory to " + (dir_ / "nowhere").string() +
             ": No such file or directory",
         DeliveryError::cannot_start},
        {"no_command", {}, "no notifier command configured", DeliveryError::misconfigured},
    };
    for (auto const& c : cases) {
        SCOPED_TRACE(c.name);
        ExecNotifier n(io_, c.options);
        auto const r = run(n, note("m"));
        EXPECT_FALSE(r.ok());
        EXPECT_EQ(r.error, c.error);
        EXPECT_EQ(r.detail, c.detail);
    }
}

TEST_F(ExecTest, ExitCode127IsNotAnExecFailure) {
    auto const script = dir_.write("s.sh", "#!/bin/sh\nexit 127\n", true);
    ExecNotifier n(io_, ExecOptions{.argv = {script.string()}});
    auto const r = run(n, note("m"));
    EXPECT_EQ(r.error, DeliveryError::exit_status);
    EXPECT_EQ(r.detail, "exit status 127");
}

TEST_F(ExecTest, HugeTimeoutIsFine) {
    ExecNotifier n(io_, ExecOptions{.argv = {"true"}});
    std::optional<DeliveryResult> got;
    n.deliver(note("m"), std::chrono::milliseconds::max(),
              [&](DeliveryResult r) { got = std::move(r); });
    run_until([&] { return got.has_value(); }, 10s);
    EXPECT_TRUE(got->ok()) << got->detail;
}

TEST_F(ExecTest, TimeoutKillsTheWholeProcessGroup) {
    auto const script =
        dir_.write("hang.sh", "#!/bin/sh\nsleep 60 &\necho $! > \"$1\"\nwait\n", true);
    auto const pidfile = dir_ / "sleep.pid";
    ExecNotifier n(io_, ExecOptions{.argv = {script.string(), pidfile.string()}});
    auto const start = std::chrono::steady_clock::now();
    auto const r = run(n, note("m"), 500ms);
    auto const elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.error, DeliveryError::timed_out);
    EXPECT_TRUE(r.error == DeliveryCondition::timeout);
    EXPECT_EQ(r.detail, "timed out after 0.5 s");
    EXPECT_LT(elapsed, 5s);
    auto const pid = read_pid(pidfile);
    ASSERT_TRUE(pid.has_value());
    EXPECT_TRUE(wait_until([&] { return is_dead(*pid); }, 5s)) << "sleep " << *pid << " survived";
}

TEST_F(ExecTest, HugeOutputIsDroppedNotKept) {
    auto const script = dir_.write(
        "loud.sh",
        "#!/bin/sh\nyes 'portwatch output line' | head -c 104857600\necho\necho done-marker\n",
        true);
    ExecNotifier n(io_, ExecOptions{.argv = {script.string()}, .output_cap = 64 * 1024});
    long const before = rss_kib();
    auto const r = run(n, note("m"), 60s);
    long const after = rss_kib();
    EXPECT_TRUE(r.ok()) << r.detail;
    EXPECT_EQ(r.detail, "exit status 0: done-marker");
    EXPECT_LE(r.detail.size(), 1024u);
    EXPECT_LT(after - before, 50 * 1024) << "RSS grew from " << before << " to " << after;
}

TEST_F(ExecTest, LongLastLineIsCapped) {
    auto const script =
        dir_.write("long.sh", "#!/bin/sh\nhead -c 5000 /dev/zero | tr '\\0' x\nexit 2\n", true);
    ExecNotifier n(io_, ExecOptions{.argv = {script.string()}, .output_cap = 100});
    auto const r = run(n, note("m"));
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.detail, "exit status 2: " + std::string(100, 'x'));

    ExecNotifier wide(io_, ExecOptions{.argv = {script.string()}});
    auto const w = run(wide, note("m"));
    EXPECT_LE(w.detail.size(), 1024u);
    EXPECT_TRUE(w.detail.starts_with("exit status 2: xxxx"));
}

TEST_F(ExecTest, DaemonHoldingThePipeDoesNotHangTheDelivery) {
    auto const script = dir_.write(
        "daemon.sh", "#!/bin/sh\nsleep 30 &\necho $! > \"$1\"\necho started\nexit 0\n", true);
    auto const pidfile = dir_ / "daemon.pid";
    ExecNotifier n(io_, ExecOptions{.argv = {script.string(), pidfile.string()}});
    auto const start = std::chrono::steady_clock::now();
    auto const r = run(n, note("m"), 20s);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    EXPECT_TRUE(r.ok()) << r.detail;
    EXPECT_EQ(r.detail, "exit status 0: started");
    // A background job outlives a normal exit by design; clean it up here.
    if (auto const pid = read_pid(pidfile)) {
        EXPECT_FALSE(is_dead(*pid));
        ::kill(*pid, SIGKILL);
    }
}

TEST_F(ExecTest, ManyDeliveriesInFlight) {
    auto const script =
        dir_.write("slow.sh", "#!/bin/sh\nsleep 0.5\nprintf '%s' \"$2\" > \"$1/$2\"\n", true);
    ExecNotifier n(io_, ExecOptions{.argv = {script.string(), dir_.path().string()}});
    constexpr int count = 20;
    std::vector<std::optional<DeliveryResult>> results(count);
    auto const start = std::chrono::steady_clock::now();
    for (int i = 0; i < count; ++i) {
        n.deliver(note("msg-" + std::to_string(i)), 20s,
                  [&results, i](DeliveryResult r) { results[i] = std::move(r); });
    }
    run_until(
        [&] {
            return std::all_of(results.begin(), results.end(),
                               [](auto const& r) { return r.has_value(); });
        },
        30s);
    // Twenty half-second children in well under their serial time: they ran at once.
    EXPECT_LT(std::chrono::steady_clock::now() - start, 8s);
    for (int i = 0; i < count; ++i) {
        SCOPED_TRACE(i);
        ASSERT_TRUE(results[i].has_value());
        EXPECT_TRUE(results[i]->ok()) << results[i]->detail;
        EXPECT_EQ(dir_.read("msg-" + std::to_string(i)), "msg-" + std::to_string(i));
    }
}

TEST_F(ExecTest, DestroyingTheNotifierKillsItsChildren) {
    auto const script = dir_.write("long.sh", "#!/bin/sh\necho $$ > \"$1\"\nexec sleep 30\n", true);
    auto const pidfile = dir_ / "child.pid";
    std::optional<DeliveryResult> got;
    {
        ExecNotifier n(io_, ExecOptions{.argv = {script.string(), pidfile.string()}});
        n.deliver(note("m"), 60s, [&](DeliveryResult r) { got = std::move(r); });
        ASSERT_TRUE(wait_until([&] { return read_pid(pidfile).has_value(); }, 10s));
    }
    auto const pid = read_pid(pidfile);
    ASSERT_TRUE(pid.has_value());
    // Killed and reaped by the destructor: gone at once.
    EXPECT_TRUE(wait_until([&] { return is_dead(*pid); }, 2s));
    run_until([&] { return got.has_value(); }, 5s);
    EXPECT_EQ(got->error, DeliveryError::cancelled);
    EXPECT_TRUE(got->error == DeliveryCondition::cancelled);
    EXPECT_EQ(got->detail, "cancelled: notifier shut down");
}

TEST_F(ExecTest, ChildDiesWithItsParent) {
    auto const script = dir_.write("long.sh", "#!/bin/sh\necho $$ > \"$1\"\nexec sleep 30\n", true);
    auto const pidfile = dir_ / "child.pid";
    pid_t const helper = ::fork();
    ASSERT_GE(helper, 0);
    if (helper == 0) {
        // The helper: a portwatch stand-in that is about to be killed -9.
        asio::io_context io;
        ExecNotifier n(io, ExecOptions{.argv = {script.string(), pidfile.string()}});
        n.deliver(note("m"), 60s, [](DeliveryResult) {});
        io.run_for(60s);
        ::_exit(0);
    }
    bool const started = wait_until([&] { return read_pid(pidfile).has_value(); }, 10s);
    ::kill(helper, SIGKILL);
    int st = 0;
    ::waitpid(helper, &st, 0);
    ASSERT_TRUE(started);
    auto const pid = read_pid(pidfile);
    ASSERT_TRUE(pid.has_value());
    bool const died = wait_until([&] { return is_dead(*pid); }, 5s);
    if (!died) {
        ::kill(*pid, SIGKILL);
    }
    EXPECT_TRUE(died) << "notifier " << *pid << " outlived its parent";
}

TEST(DefaultNotifyCommand, PicksHowToRunPushMsg) {
    TempDir dir;
    auto const abs = (dir / "push_msg.py").string();
    // Missing: the bare path, so that exec reports "No such file or directory".
    EXPECT_EQ(default_notify_command(dir.path()), std::vector<std::string>{abs});
    // Present, not executable: through python3.
    dir.write("push_msg.py", "#!/usr/bin/env python3\nprint('x')\n", false);
    EXPECT_EQ(default_notify_command(dir.path()), (std::vector<std::string>{"python3", abs}));
    // Executable with a shebang: directly.
    dir.write("push_msg.py", "#!/usr/bin/env python3\nprint('x')\n", true);
    EXPECT_EQ(default_notify_command(dir.path()), std::vector<std::string>{abs});
    // Executable without a shebang (the seed ran it with python): through python3.
    dir.write("push_msg.py", "import sys\nprint(sys.argv)\n", true);
    EXPECT_EQ(default_notify_command(dir.path()), (std::vector<std::string>{"python3", abs}));
}

TEST(DefaultNotifyCommand, RelativeDirectoryBecomesAbsolute) {
    TempDir dir;
    auto const old = fs::current_path();
    fs::current_path(dir.path());
    auto const cmd = default_notify_command("sub/..");
    fs::current_path(old);
    ASSERT_EQ(cmd.size(), 1u);
    EXPECT_TRUE(fs::path(cmd[0]).is_absolute());
    EXPECT_EQ(cmd[0], (dir / "push_msg.py").string());
}

}  // namespace
}  // namespace portwatch::notify
