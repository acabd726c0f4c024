// Crash harness: flips loopback targets up and down between runs of `portwatch check`, kills
// one run per trial with SIGKILL (at a random instant, or at a fault point: between fsync and
// rename, between rename and the directory fsync, after the commit, after a notifier exited
// and before the progress commit), then lets a normal run follow. The oracle is derived from
// what the state file recorded, snapshotted after every run:
//   - the file always loads, and no run ever sets it aside as corrupt;
//   - every status change the state recorded (a first-seen DOWN, then every flip) is
//     delivered, in order per target, and nothing else is (no message without a transition);
//   - every outbox entry the state ever held is delivered (by event id);
//   - duplicates: only the last message of a target may repeat, at most once per target per
//     kill, and only in the runs right after a kill (a killed run starts with an empty outbox,
//     so each target has at most one message in flight when it dies).
// Usage: crash_harness [--trials N] [--seed S] [--binary PATH] [--keep]
// Deterministic by seed: the flips, kill delays and fault points come from the seed (the
// instant the kernel delivers a kill still varies a little from run to run).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "crash/flip_ports.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct RunResult {
    bool killed = false;  ///< ended by SIGKILL (ours or its fault point's)
    int exit_code = -1;
    std::chrono::milliseconds elapsed{0};
    std::string err;
};

/// Runs portwatch; SIGKILLs it (the process only: its notifier must die with it on its own)
/// after `kill_after` when set. Bounded: 60 s at most.
RunResult run(std::vector<std::string> const& argv, fs::path const& dir, std::string const& fault,
              std::optional<std::chrono::microseconds> kill_after) {
    fs::path const err_path = dir / "run.err";
    auto const start = Clock::now();
    pid_t const pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        int const out = ::open("/dev/null", O_WRONLY);
        int const err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(out, 1);
        ::dup2(err, 2);
        if (fault.empty()) {
            ::unsetenv("PORTWATCH_FAULT");
        } else {
            ::setenv("PORTWATCH_FAULT", fault.c_str(), 1);
        }
        std::vector<char*> args;
        for (auto const& a : argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    RunResult r;
    bool sent = false;
    int st = 0;
    for (;;) {
        pid_t const w = ::waitpid(pid, &st, WNOHANG);
        if (w == pid) {
            break;
        }
        auto const now = Clock::now();
        if (!sent && kill_after && now - start >= *kill_after) {
            ::kill(pid, SIGKILL);
            sent = true;
        }
        if (now - start > 60s) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &st, 0);
            throw std::runtime_error("portwatch check took more than 60 s");
        }
        std::this_thread::sleep_for(kill_after && !sent ? 50us : 200us);
    }
    r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    r.killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
    r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    std::ifstream in(err_path);
    r.err.assign(std::istreambuf_iterator<char>(in), {});
    return r;
}

struct Call {
    std::string id, event, key, message;
};

std::vector<Call> read_calls(fs::path const& path) {
    std::vector<Call> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        Call c;
        std::getline(ls, c.id, '\t');
        std::getline(ls, c.event, '\t');
        std::getline(ls, c.key, '\t');
        std::getline(ls, c.message);
        out.push_back(std::move(c));
    }
    return out;
}

struct Options {
    int trials = 200;
    std::uint64_t seed = 0;
    std::string binary = portwatch::test::portwatch_binary();
    bool keep = false;
};

class Harness {
  public:
    explicit Harness(Options options) : opt_(std::move(options)), rng_(opt_.seed) {}

    int main() {
        std::string list;
        for (std::size_t i = 0; i < ports_.size(); ++i) {
            list += fmt::format("127.0.0.1 {} svc{}\n", ports_.port(i), i);
        }
        dir_.write("port_check.lst", list);
        // One write(2) per call: a notifier killed mid-way either recorded or did not.
        dir_.write(
            "notify.sh",
            "#!/bin/sh\nsleep 0.01\nprintf '%s\\t%s\\t%s\\t%s\\n' \"$PORTWATCH_EVENT_ID\" "
            "\"$PORTWATCH_EVENT\" \"$PORTWATCH_KEY\" \"$1\" >> \"$(dirname \"$0\")/calls.log\"\n",
            true);
        argv_ = {opt_.binary, "-C",           dir_.path().string(),
                 "check",     "--quiet",      "--timeout",
                 "2",         "--notify-cmd", (dir_ / "notify.sh").string()};

        // Calibrate the kill window on a few normal runs.
        std::vector<std::chrono::milliseconds> durations;
        for (int i = 0; i < 5; ++i) {
            flip();
            durations.push_back(normal_run("calibration").elapsed);
        }
        std::sort(durations.begin(), durations.end());
        window_ = std::chrono::duration_cast<std::chrono::microseconds>(durations[2] * 3 / 2);
        std::printf("crash harness: seed %llu, %d trials, kill window %lld us, dir %s\n",
                    static_cast<unsigned long long>(opt_.seed), opt_.trials,
                    static_cast<long long>(window_.count()), dir_.path().c_str());

        static char const* const faults[] = {"before-rename", "before-dirsync", "after-commit",
                                             "after-notify"};
        std::map<std::string, int> modes;
        for (int t = 0; t < opt_.trials && failures_.empty(); ++t) {
            trial_ = t;
            std::size_t const calls_before = read_calls(dir_ / "calls.log").size();
            flip();
            std::string fault;
            std::optional<std::chrono::microseconds> delay;
            if (std::uniform_int_distribution<int>(0, 9)(rng_) < 3) {
                fault = faults[std::uniform_int_distribution<std::size_t>(0, 3)(rng_)];
            } else {
                delay = std::chrono::microseconds(
                    std::uniform_int_distribution<long long>(0, window_.count())(rng_));
            }
            auto const r = run(argv_, dir_.path(), fault, delay);
            ++runs_;
            modes[fault.empty() ? (r.killed ? "random kill" : "random kill, finished first")
                                : fault + (r.killed ? "" : " (not reached)")]++;
            if (!r.killed && r.exit_code != 0) {
                fail(fmt::format("run exited {}: {}", r.exit_code, r.err));
            }
            snapshot(r.killed ? "killed run" : "unkilled run");
            // Then a normal run, sometimes after another flip.
            if (std::uniform_int_distribution<int>(0, 1)(rng_) == 0) {
                flip();
            }
            normal_run("after kill");
            if (r.killed) {
                kill_windows_.emplace_back(calls_before, read_calls(dir_ / "calls.log").size());
                ++kills_;
            }
        }
        normal_run("final");
        verify();

        for (auto const& [mode, n] : modes)
            std::printf("  %-40s %d\n", mode.c_str(), n);
        std::size_t temps = 0;
        for (auto const& e : fs::directory_iterator(dir_.path()))
            temps += e.path().filename().string().rfind(".port_check_status.json.tmp", 0) == 0;
        if (temps > 1) {
            fail(fmt::format("{} temp files left by killed runs (at most one expected)", temps));
        }
        std::printf(
            "  %d runs, %d kills, %zu transitions, %zu calls, %zu duplicate(s), "
            "%zu temp file(s) left\n",
            runs_, kills_, transitions_, calls_, duplicates_, temps);
        if (!failures_.empty()) {
            for (auto const& f : failures_)
                std::fprintf(stderr, "FAIL: %s\n", f.c_str());
            std::fprintf(stderr, "reproduce with: crash_harness --seed %llu --trials %d\n",
                         static_cast<unsigned long long>(opt_.seed), opt_.trials);
            if (opt_.keep) {
                std::fprintf(stderr, "kept %s\n", kept_.c_str());
            }
            return 1;
        }
        std::printf("crash harness: OK\n");
        return 0;
    }

    ~Harness() {
        if (opt_.keep && !failures_.empty()) {
            std::error_code ec;
            fs::copy(dir_.path(), kept_, fs::copy_options::recursive, ec);
        }
    }

  private:
    void fail(std::string what) {
        failures_.push_back(fmt::format("trial {}: {}", trial_, std::move(what)));
    }

    void flip() { ports_.flip(rng_); }

    RunResult normal_run(char const* what) {
        auto const r = run(argv_, dir_.path(), "", std::nullopt);
        ++runs_;
        if (r.exit_code != 0) {
            fail(fmt::format("{}: normal run exited {}: {}", what, r.exit_code, r.err));
        }
        if (r.err.find("unusable") != std::string::npos) {
            fail(fmt::format("{}: state file set aside: {}", what, r.err));
        }
        snapshot(what);
        return r;
    }

    /// Records what the state file says now: status changes since the last snapshot are
    /// transitions that must be delivered; outbox ids are events that must be delivered.
    void snapshot(char const* what) {
        std::ifstream in(dir_ / "port_check_status.json");
        if (!in) {
            return;  // not written yet (a run killed before its first commit)
        }
        std::string const text{std::istreambuf_iterator<char>(in), {}};
        json state;
        try {
            state = json::parse(text);
        } catch (json::exception const& e) {
            fail(fmt::format("{}: state file does not load: {}", what, e.what()));
            return;
        }
        for (auto const& [key, value] : state.items()) {
            if (key == "_portwatch") {
                continue;
            }
            std::string const status = value.get<std::string>();
            auto const it = status_.find(key);
            bool const first = it == status_.end();
            if ((first && status == "DOWN") || (!first && it->second != status)) {
                expected_[key].push_back(status == "DOWN" ? "down" : "up");
                ++transitions_;
            }
            status_[key] = status;
        }
        for (auto const& e : state["_portwatch"]["outbox"]) {
            recorded_ids_.emplace(e["id"].get<std::string>(), e["key"].get<std::string>());
        }
    }

    void verify() {
        auto const calls = read_calls(dir_ / "calls.log");
        calls_ = calls.size();
        std::set<std::string> delivered;
        std::map<std::string, std::vector<std::string>> sequence;  // key -> distinct ids
        std::map<std::string, std::vector<std::string>> kinds;     // key -> their events
        std::vector<std::map<std::string, int>> dup_per_window(kill_windows_.size());
        for (std::size_t i = 0; i < calls.size(); ++i) {
            auto const& c = calls[i];
            bool const down = c.event == "down";
            if (c.message.find(down ? "장애" : "복구") == std::string::npos ||
                c.message.find(c.key) == std::string::npos) {
                fail(fmt::format("call {} has message '{}' for a {} event of {}", i, c.message,
                                 c.event, c.key));
            }
            auto& seq = sequence[c.key];
            if (!seq.empty() && seq.back() == c.id) {
                ++duplicates_;
                auto const w =
                    std::find_if(kill_windows_.begin(), kill_windows_.end(),
                                 [&](auto const& win) { return i >= win.first && i < win.second; });
                if (w == kill_windows_.end()) {
                    fail(fmt::format("call {} repeats {} outside any kill", i, c.id));
                } else if (++dup_per_window[w - kill_windows_.begin()][c.key] > 1) {
                    fail(fmt::format("call {}: {} repeated more than once after one kill", i,
                                     c.key));
                }
                continue;
            }
            if (delivered.count(c.id) != 0) {
                fail(fmt::format("call {} re-delivers {} after a newer message of {}", i, c.id,
                                 c.key));
                continue;
            }
            delivered.insert(c.id);
            seq.push_back(c.id);
            kinds[c.key].push_back(c.event);
        }
        std::set<std::string> keys;
        for (auto const& [k, v] : expected_)
            keys.insert(k);
        for (auto const& [k, v] : kinds)
            keys.insert(k);
        for (auto const& key : keys) {
            if (expected_[key] != kinds[key]) {
                fail(
                    fmt::format("{}: the state recorded transitions [{}] but the notifier got "
                                "[{}]",
                                key, fmt::join(expected_[key], " "), fmt::join(kinds[key], " ")));
            }
        }
        for (auto const& [id, key] : recorded_ids_) {
            if (delivered.count(id) == 0) {
                fail(fmt::format("event {} of {} was in the outbox but never delivered", id, key));
            }
        }
        std::ifstream in(dir_ / "port_check_status.json");
        json const state = json::parse(in);
        if (!state["_portwatch"]["outbox"].empty()) {
            fail("the outbox is not empty after the final run");
        }
    }

    Options opt_;
    std::mt19937_64 rng_;
    portwatch::test::TempDir dir_;
    std::string kept_ = fmt::format("/tmp/crash-harness-{}", ::getpid());
    portwatch::test::FlipPorts ports_{6};
    std::vector<std::string> argv_;
    std::chrono::microseconds window_{0};
    std::map<std::string, std::string> status_;
    std::map<std::string, std::vector<std::string>> expected_;
    std::map<std::string, std::string> recorded_ids_;
    std::vector<std::pair<std::size_t, std::size_t>> kill_windows_;  // call index ranges
    std::vector<std::string> failures_;
    int trial_ = -1;
    int runs_ = 0;
    int kills_ = 0;
    std::size_t transitions_ = 0;
    std::size_t calls_ = 0;
    std::size_t duplicates_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    opt.seed = static_cast<std::uint64_t>(std::random_device{}());
    for (int i = 1; i < argc; ++i) {
        std::string const a = argv[i];
        auto const value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(64);
            }
            return argv[++i];
        };
        if (a == "--trials") {
            opt.trials = std::stoi(value());
        } else if (a == "--seed") {
            opt.seed = std::stoull(value());
        } else if (a == "--binary") {
            opt.binary = value();
        } else if (a == "--keep") {
            opt.keep = true;
        } else {
            std::fprintf(stderr,
                         "usage: crash_harness [--trials N] [--seed S] [--binary PATH] [--keep]\n");
            return 64;
        }
    }
    try {
        return Harness(opt).main();
    } catch (std::exception const& e) {
        std::fprintf(stderr, "crash harness: %s (seed %llu)\n", e.what(),
                     static_cast<unsigned long long>(opt.seed));
        return 1;
    }
}
