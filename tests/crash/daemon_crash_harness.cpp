// Crash harness of the daemon: `portwatch run` on a SQLite store, loopback targets flipped up
// and down while it runs, and three destinations (issue 15 item 3), each with concurrency 1:
//   exec   notify.sh appends one line per delivery (event id, event, key, its parent's pid,
//          the message) to calls.log;
//   hook   a webhook to a local receiver (tests/notify/http_receiver.py) that records every
//          request with its body; the URL's path names the daemon's life (/ok/hook/L7), so
//          each delivery is owed to the daemon that sent it;
//   flaky  a webhook to the same receiver that fails (503) for a while: for runs of cycles it
//          answers 503, then 200 again. Between lives (no daemon running) the harness makes
//          every outbox entry due, as the passing of its backoff (1 min) would.
// Each cycle starts the daemon and ends it by SIGKILL at a chosen instant (some cycles by
// SIGTERM, a clean stop):
//   random     at a random instant of its life (start-up, probing, committing, delivering);
//   commit     at the fault point `daemon-after-commit` (PORTWATCH_FAULT), right after a
//              transition and its event were committed, before any send;
//   delivery   while a notifier runs (it has announced itself in started.log);
//   delivered  0..1.2 s after a delivery reached calls.log (is "delivered" saved by then?);
//   reload     0..300 ms after the config was rewritten (interval, a spare target added or
//              removed) and SIGHUP sent;
//   sigstop    after a storm of 20 SIGSTOP/SIGCONT pairs (0..60 ms each).
// After each cycle the store must pass `PRAGMA integrity_check` and keep every transition it
// ever recorded. At the end a daemon runs until the store matches the ports and the outbox is
// empty, is stopped with SIGTERM, and the oracle checks, for each destination on its own
// (only the answers 200 count as delivered):
//   - no lost transition: per target, the notifier got exactly the recorded transitions (all
//     but a first-seen UP), in order, each message byte for byte (description, key, word,
//     the transition's local time);
//   - every event the outbox ever held was delivered; the outbox ends empty;
//   - the last message per target matches its final state;
//   - duplicates: a message repeats only after the daemon that first sent it was killed, and
//     each kill causes at most one duplicate per destination (notifier concurrency 1:
//     issue 17 item 7, "at most one duplicate per destination per kill"; with concurrency N,
//     N deliveries may be in flight at a kill);
//   - no file outside the state directory touched (the daemon's cwd, HOME and TMPDIR are
//     empty directories beside it that must stay empty).
// `--storm N` instead runs issue 17 item 7's scenario three times: N targets flip at once
// (DOWN, UP, DOWN), the daemon is killed as soon as half of the N messages were delivered, the
// next daemon delivers the rest; each kill may cause at most one duplicate.
// Usage: daemon_crash_harness [--cycles N] [--storm N] [--seed S] [--binary PATH] [--keep]
// CI runs `--cycles 60` (about a minute) and `--storm 40`; for a long run use
// `--cycles 1000` (or PORTWATCH_CRASH_CYCLES=1000). Prints its seed; `--seed S` replays the
// same choices (the instant a kill lands still varies a little). `--keep` copies the
// directory (store, calls.log, daemon.log) to /tmp/daemon-crash-harness-PID.
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "crash/daemon_oracle.hpp"
#include "crash/flip_ports.hpp"
#include "crash/store_reader.hpp"
#include "notify/http_receiver.hpp"
#include "support/background_process.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
namespace pt = portwatch::test;
using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;

std::size_t count_lines(fs::path const& path) {
    std::ifstream in(path);
    return static_cast<std::size_t>(
        std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n'));
}

struct Options {
    int cycles = 60;
    int storm = 0;
    std::uint64_t seed = 0;
    std::string binary = pt::portwatch_binary();
    bool keep = false;
};

class Harness {
  public:
    explicit Harness(Options options) : opt_(std::move(options)), rng_(opt_.seed) {
        if (!receiver_.ok()) {
            throw std::runtime_error("the HTTP receiver did not start");
        }
        for (auto const* d : {"state", "cwd", "home", "tmp"}) {
            fs::create_directory(root_ / d);
        }
        state_ = root_ / "state";
        // One write(2) per line: a notifier killed mid-way either recorded its call or did not.
        write(state_ / "notify.sh",
              "#!/bin/sh\nd=$(dirname \"$0\")\nprintf '%s\\n' \"$PORTWATCH_EVENT_ID\" >> "
              "\"$d/started.log\"\nsleep 0.02\nprintf '%s\\t%s\\t%s\\t%s\\t%s\\n' "
              "\"$PORTWATCH_EVENT_ID\" \"$PORTWATCH_EVENT\" \"$PORTWATCH_KEY\" \"$PPID\" \"$1\" "
              ">> \"$d/calls.log\"\n");
        fs::permissions(state_ / "notify.sh", fs::perms::owner_all, fs::perm_options::add);
    }

    ~Harness() {
        if (opt_.keep) {
            std::error_code ec;
            fs::copy(root_.path(), kept_, fs::copy_options::recursive, ec);
        }
    }

    int cycles() {
        ports_ = std::make_unique<pt::FlipPorts>(9);  // the last one is the reload's spare
        write_config(false, false);
        std::printf("daemon crash harness: seed %llu, %d cycles, dir %s\n",
                    static_cast<unsigned long long>(opt_.seed), opt_.cycles, root_.path().c_str());
        static char const* const modes[] = {"random",    "commit", "delivery",
                                            "delivered", "reload", "sigstop"};
        for (int c = 0; c < opt_.cycles && failures_.empty(); ++c) {
            cycle_ = c;
            if (pick(0, 3) == 0) {
                flaky_failing_ = !flaky_failing_;  // the flaky destination fails for a while
            }
            bool const clean = pick(0, 7) == 0;
            cycle(clean ? "sigterm" : modes[pick(0, 5)]);
        }
        cycle_ = -1;
        flaky_failing_ = false;
        settle();
        verify();
        return report();
    }

    int storm() {
        auto const n = static_cast<std::size_t>(opt_.storm);
        ports_ = std::make_unique<pt::FlipPorts>(n + 1);
        for (std::size_t i = 0; i < n; ++i) {
            ports_->set(i, true);
        }
        write_config(false, false);
        std::printf("daemon crash harness: storm of %zu failures, dir %s\n", n,
                    root_.path().c_str());
        // Every target seen UP (silent); then, three times, all flip at once and the daemon
        // is killed once half of the N messages were delivered. The next daemon delivers the
        // rest before the next flip.
        for (int round = 0; round < 3 && failures_.empty(); ++round) {
            auto d = start("");
            std::string const was = round % 2 == 0 ? "UP" : "DOWN";
            if (!pt::poll_until([&] { return store_statuses(was) == n && outbox_empty(); }, 30s)) {
                fail(
                    fmt::format("round {}: the targets were not all {} with an empty outbox "
                                "within 30 s:\n{}",
                                round, was, log()));
                break;
            }
            auto const before = count_lines(state_ / "calls.log");
            for (std::size_t i = 0; i < n; ++i) {
                ports_->set(i, was == "DOWN");
            }
            if (!pt::poll_until([&] { return count_lines(state_ / "calls.log") >= before + n / 2; },
                                30s)) {
                fail(fmt::format("round {}: {} of {} messages delivered in 30 s", round,
                                 count_lines(state_ / "calls.log") - before, n));
            }
            d->signal(SIGKILL);
            end_life(*d, "storm", true);
        }
        settle();
        verify();
        return report();
    }

  private:
    /// The description the config gives the target `key` ("svcI" for port I).
    std::string description(std::string const& key) const {
        for (std::size_t i = 0; i < ports_->size(); ++i) {
            if (key == fmt::format("127.0.0.1:{}", ports_->port(i))) {
                return fmt::format("svc{}", i);
            }
        }
        return "?";
    }

    int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

    void fail(std::string what) {
        failures_.push_back(cycle_ < 0 ? what : fmt::format("cycle {}: {}", cycle_, what));
    }

    static void write(fs::path const& p, std::string const& text) {
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out << text;
    }

    std::string log() const {
        std::ifstream in(state_ / "daemon.log");
        std::string const all{std::istreambuf_iterator<char>(in), {}};
        return all.size() > 3000 ? all.substr(all.size() - 3000) : all;
    }

    /// The config: every port but the spare, plus the spare when `spare`; `slow` changes the
    /// interval (a reload that touches every target's schedule). The webhooks' URLs name the
    /// life about to start (or running), and whether the flaky one fails.
    void write_config(bool spare, bool slow) {
        std::string targets;
        std::size_t const n = ports_->size() - (spare ? 0 : 1);
        for (std::size_t i = 0; i < n; ++i) {
            targets += fmt::format(
                "  - {{name: svc{0}, host: 127.0.0.1, port: {1}, description: "
                "svc{0}}}\n",
                i, ports_->port(i));
        }
        auto const hook = [&](char const* name, bool failing) {
            return fmt::format(
                "  - {{name: {}, type: webhook, url: '{}/{}/L{}', timeout: 10s, concurrency: 1}}\n",
                name, receiver_.url(failing ? "503" : "ok"), name, lives_.size());
        };
        write(state_ / "portwatch.yaml",
              fmt::format("defaults:\n  interval: {}\n  timeout: 500ms\n  failure_threshold: 1\n"
                          "  success_threshold: 1\nnotifiers:\n  - {{name: exec, type: exec, "
                          "command: ['{}'], timeout: 10s, concurrency: 1}}\n{}{}"
                          "store: sqlite:portwatch.db\nshutdown_grace: 5s\ntargets:\n{}",
                          slow ? "150ms" : "100ms", (state_ / "notify.sh").string(),
                          hook("hook", false), hook("flaky", flaky_failing_), targets));
        spare_ = spare;
        slow_ = slow;
    }

    /// Starts the next daemon life (none runs): the config names it, every outbox entry is due.
    std::unique_ptr<pt::BackgroundProcess> start(std::string const& fault) {
        write_config(spare_, slow_);
        if (auto const error = pt::make_outbox_due(state_ / "portwatch.db"); !error.empty()) {
            fail(error);
        }
        return std::make_unique<pt::BackgroundProcess>(
            std::vector<std::string>{opt_.binary, "run", "-c",
                                     (state_ / "portwatch.yaml").string()},
            root_ / "cwd",
            std::map<std::string, std::string>{{"PORTWATCH_FAULT", fault},
                                               {"HOME", (root_ / "home").string()},
                                               {"TMPDIR", (root_ / "tmp").string()}},
            state_ / "daemon.log");
    }

    std::size_t store_statuses(std::string const& status) {
        std::string error;
        auto const v = pt::read_store(state_ / "portwatch.db", error);
        if (!v) {
            return 0;
        }
        return static_cast<std::size_t>(
            std::count_if(v->statuses.begin(), v->statuses.end(),
                          [&](auto const& kv) { return kv.second == status; }));
    }

    /// How many daemons have logged that they run (their signal handlers are in place by then).
    std::size_t running_lines() const {
        std::ifstream in(state_ / "daemon.log");
        std::size_t n = 0;
        for (std::string line; std::getline(in, line);) {
            n += line.find(" running: ") != std::string::npos ? 1 : 0;
        }
        return n;
    }

    /// Waits until the daemon started after `before` running lines runs (it has its signal
    /// handlers: SIGTERM or SIGHUP earlier would end it by the default action).
    void wait_running(std::size_t before) {
        if (!pt::poll_until([&] { return running_lines() > before; }, 20s)) {
            fail(fmt::format("the daemon did not start within 20 s:\n{}", log()));
        }
    }

    bool outbox_empty() {
        std::string error;
        auto const v = pt::read_store(state_ / "portwatch.db", error);
        return v && v->outbox_ids.empty();
    }

    /// Flips the ports every 100..400 ms until `stop`; now and then all at once.
    void flip_loop(std::atomic<bool> const& stop, std::mt19937_64& flip_rng) {
        while (!stop) {
            if (std::uniform_int_distribution<int>(0, 5)(flip_rng) == 0) {
                bool const up = std::uniform_int_distribution<int>(0, 1)(flip_rng) == 1;
                for (std::size_t i = 0; i < ports_->size(); ++i) {
                    ports_->set(i, up);  // all at once: a burst of messages
                }
            } else {
                ports_->flip(flip_rng);
            }
            pt::poll_until([&] { return stop.load(); },
                           ms(std::uniform_int_distribution<int>(100, 400)(flip_rng)));
        }
    }

    /// One daemon life, ended as `mode` says, with the ports flipping while it runs.
    void cycle(std::string const& mode) {
        std::atomic<bool> stop{false};
        std::mt19937_64 flip_rng(rng_());
        std::string flip_error;
        std::thread flipper([&] {
            try {
                flip_loop(stop, flip_rng);
            } catch (std::exception const& e) {
                flip_error = e.what();
            }
        });
        auto const started = running_lines();
        auto d = start(mode == "commit" ? "daemon-after-commit" : "");
        bool killed = true;
        std::string how = mode;
        if (mode == "random") {
            std::this_thread::sleep_for(ms(pick(0, 1500)));
        } else if (mode == "commit") {
            if (!d->wait(10s)) {
                how = "commit (not reached)";
            }
        } else if (mode == "delivery" || mode == "delivered") {
            auto const file = state_ / (mode == "delivery" ? "started.log" : "calls.log");
            auto const before = count_lines(file);
            if (!pt::poll_until([&] { return count_lines(file) > before; }, 10s)) {
                how += " (no delivery)";
            }
            std::this_thread::sleep_for(ms(mode == "delivery" ? pick(0, 15) : pick(0, 1200)));
        } else if (mode == "reload") {
            wait_running(started);
            std::this_thread::sleep_for(ms(pick(0, 600)));
            write_config(pick(0, 1) == 1, pick(0, 1) == 1);
            d->signal(SIGHUP);
            std::this_thread::sleep_for(ms(pick(0, 300)));
        } else if (mode == "sigstop") {
            // A SIGSTOP storm: frozen and thawed 20 times while the ports flip, then killed.
            for (int i = 0; i < 20; ++i) {
                d->signal(SIGSTOP);
                std::this_thread::sleep_for(ms(pick(0, 60)));
                d->signal(SIGCONT);
                std::this_thread::sleep_for(ms(pick(0, 60)));
            }
        } else {
            wait_running(started);
            std::this_thread::sleep_for(ms(pick(0, 1200)));
            killed = false;
        }
        d->signal(killed ? SIGKILL : SIGTERM);
        stop = true;
        flipper.join();
        if (!flip_error.empty()) {
            fail(flip_error);
        }
        end_life(*d, how, killed);
    }

    /// Waits for the daemon's end, checks how it ended, then the store.
    void end_life(pt::BackgroundProcess& d, std::string const& how, bool killed) {
        auto const st = d.wait(15s);
        ++modes_[how];
        if (!st) {
            fail(fmt::format("{}: the daemon did not end within 15 s", how));
            d.signal(SIGKILL);
            d.wait(5s);
        } else if (killed && *st != -SIGKILL && *st != 0) {
            fail(fmt::format("{}: the daemon ended with {} before its kill:\n{}", how, *st, log()));
        } else if (!killed && *st != 0) {
            fail(fmt::format("{}: SIGTERM: exit {} (expected 0):\n{}", how, *st, log()));
        }
        lives_.push_back({std::to_string(d.pid()), how, st && *st == -SIGKILL});
        snapshot(how);
    }

    /// Checks the store after a life and records what it holds.
    void snapshot(std::string const& how) {
        std::string error;
        auto const v = pt::read_store(state_ / "portwatch.db", error);
        if (!v) {
            if (!error.empty()) {
                fail(fmt::format("after {}: {}", how, error));
            }
            return;
        }
        if (v->integrity != "ok") {
            fail(fmt::format("after {}: integrity_check: {}", how, v->integrity));
        }
        for (std::size_t i = 0; i < transitions_.size(); ++i) {
            if (i >= v->transitions.size() || !(v->transitions[i] == transitions_[i])) {
                fail(fmt::format("after {}: transition {} of {} vanished from the store", how,
                                 transitions_[i].id, transitions_[i].key));
                break;
            }
        }
        transitions_ = v->transitions;
        outbox_entries_.insert(v->outbox_entries.begin(), v->outbox_entries.end());
        last_ = *v;
    }

    /// Ports fixed; a daemon runs until the store matches them and the outbox is empty, then
    /// stops on SIGTERM.
    void settle() {
        std::map<std::string, std::string> want;
        std::size_t const n = ports_->size() - (spare_ ? 0 : 1);
        for (std::size_t i = 0; i < n; ++i) {
            want[fmt::format("127.0.0.1:{}", ports_->port(i))] = ports_->up(i) ? "UP" : "DOWN";
        }
        auto const started = running_lines();
        auto d = start("");
        wait_running(started);
        bool const ok = pt::poll_until(
            [&] {
                std::string error;
                auto const v = pt::read_store(state_ / "portwatch.db", error);
                // A target the last reload removed may still be there: its state is parked
                // for 10 minutes (README, Daemon), so only the configured ones must match.
                return v && v->outbox_ids.empty() &&
                       std::all_of(want.begin(), want.end(), [&](auto const& w) {
                           auto const it = v->statuses.find(w.first);
                           return it != v->statuses.end() && it->second == w.second;
                       });
            },
            30s);
        if (!ok) {
            std::string error;
            auto const v = pt::read_store(state_ / "portwatch.db", error);
            std::string seen = error;
            if (v) {
                for (auto const& [key, status] : v->statuses) {
                    seen += fmt::format("{}={}{} ", key, status,
                                        !want.count(key)         ? "(parked)"
                                        : want.at(key) == status ? ""
                                                                 : "(!)");
                }
                seen += fmt::format("; {} pending", v->outbox_ids.size());
            }
            fail(
                fmt::format("final run: the store did not match the ports with an empty outbox "
                            "within 30 s: {}\n{}",
                            seen, log()));
        }
        d->signal(SIGTERM);
        end_life(*d, "final (sigterm)", false);
    }

    /// The deliveries the receiver accepted (200) for the webhook `name`, as calls of the
    /// daemon whose life the URL names.
    std::vector<pt::DeliveryCall> webhook_calls(std::string const& name) {
        std::vector<pt::DeliveryCall> out;
        std::string const prefix = "/ok/" + name + "/L";
        for (auto const& r : receiver_.requests()) {
            if (!r.path.starts_with(prefix)) {
                continue;  // a 503 answer, or another destination
            }
            auto const life = std::stoul(r.path.substr(prefix.size()));
            auto const j = nlohmann::json::parse(r.body, nullptr, false);
            if (life >= lives_.size() || j.is_discarded() || !j.is_object()) {
                fail(fmt::format("{}: a request the harness cannot place: {} {}", name, r.path,
                                 r.body));
                continue;
            }
            out.push_back({.id = j.value("id", ""),
                           .event = j.value("event", ""),
                           .key = j.value("key", ""),
                           .ppid = lives_[life].pid,
                           .message = j.value("message", "")});
        }
        return out;
    }

    void verify() {
        for (auto const* dest : {"exec", "hook", "flaky"}) {
            auto calls = std::string(dest) == "exec" ? pt::read_calls(state_ / "calls.log")
                                                     : webhook_calls(dest);
            std::set<std::string> ids;
            for (auto const& [id, d] : outbox_entries_) {
                if (d == dest) {
                    ids.insert(id);
                }
            }
            auto const n = calls.size();
            auto verdict =
                pt::judge({.calls = std::move(calls),
                           .lives = lives_,
                           .transitions = transitions_,
                           .outbox_ids = ids,
                           .final_statuses = last_.statuses,
                           .description = [this](auto const& k) { return description(k); }});
            for (auto& f : verdict.failures) {
                fail(fmt::format("[{}] {}", dest, f));
            }
            verdicts_.emplace_back(dest, std::move(verdict));
            calls_ += n;
        }
        for (auto const* d : {"cwd", "home", "tmp"}) {
            for (auto const& e : fs::directory_iterator(root_ / d)) {
                fail(fmt::format("the daemon wrote {} outside its state directory",
                                 e.path().string()));
            }
        }
        for (auto const& e : fs::directory_iterator(root_.path())) {
            auto const name = e.path().filename().string();
            if (name != "state" && name != "cwd" && name != "home" && name != "tmp") {
                fail(fmt::format("the daemon wrote {} outside its state directory",
                                 e.path().string()));
            }
        }
    }

    int report() {
        for (auto const& [mode, n] : modes_) {
            std::printf("  %-40s %d\n", mode.c_str(), n);
        }
        int kills = 0;
        for (auto const& l : lives_) {
            kills += l.killed ? 1 : 0;
        }
        std::size_t announced = 0;
        std::size_t duplicates = 0;
        for (auto const& [dest, v] : verdicts_) {
            announced = v.announced;
            duplicates += v.duplicates;
        }
        std::printf(
            "  %zu daemons, %d kills, %zu transitions (%zu announced), %zu deliveries to %zu "
            "destinations, %zu duplicate(s)\n",
            lives_.size(), kills, transitions_.size(), announced, calls_, verdicts_.size(),
            duplicates);
        auto const requests = receiver_.requests();
        auto const refused = std::count_if(requests.begin(), requests.end(), [](auto const& r) {
            return r.path.starts_with("/503/");
        });
        std::printf("  flaky answered 503 to %td attempt(s)\n", refused);
        for (auto const& [dest, v] : verdicts_) {
            std::printf("  %-6s duplicates per kill, in order: [%s]\n", dest.c_str(),
                        fmt::format("{}", fmt::join(v.duplicates_per_kill, " ")).c_str());
        }
        if (!failures_.empty()) {
            for (auto const& f : failures_) {
                std::fprintf(stderr, "FAIL: %s\n", f.c_str());
            }
            if (opt_.storm > 0) {
                std::fprintf(stderr, "reproduce with: daemon_crash_harness --storm %d\n",
                             opt_.storm);
            } else {
                std::fprintf(stderr,
                             "reproduce with: daemon_crash_harness --seed %llu --cycles %d\n",
                             static_cast<unsigned long long>(opt_.seed), opt_.cycles);
            }
            if (opt_.keep) {
                std::fprintf(stderr, "kept %s\n", kept_.c_str());
            }
            return 1;
        }
        if (opt_.keep) {
            std::printf("kept %s\n", kept_.c_str());
        }
        std::printf("daemon crash harness: OK\n");
        return 0;
    }

    Options opt_;
    std::mt19937_64 rng_;
    pt::HttpReceiver receiver_;  // before root_: its requests are read after the last life
    pt::TempDir root_;
    fs::path state_;
    std::string kept_ = fmt::format("/tmp/daemon-crash-harness-{}", ::getpid());
    std::unique_ptr<pt::FlipPorts> ports_;
    bool spare_ = false;
    bool slow_ = false;
    bool flaky_failing_ = false;  ///< the flaky webhook answers 503 in this life
    int cycle_ = -1;
    std::map<std::string, int> modes_;
    std::vector<pt::DaemonLife> lives_;
    std::vector<pt::TransitionRow> transitions_;
    std::set<std::pair<std::string, std::string>> outbox_entries_;  ///< (event id, destination)
    pt::StoreView last_;
    std::vector<std::string> failures_;
    std::vector<std::pair<std::string, pt::OracleVerdict>> verdicts_;  ///< per destination
    std::size_t calls_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    opt.seed = static_cast<std::uint64_t>(std::random_device{}());
    if (char const* c = std::getenv("PORTWATCH_CRASH_CYCLES")) {
        opt.cycles = std::atoi(c);
    }
    for (int i = 1; i < argc; ++i) {
        std::string const a = argv[i];
        auto const value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(64);
            }
            return argv[++i];
        };
        if (a == "--cycles") {
            opt.cycles = std::stoi(value());
        } else if (a == "--storm") {
            opt.storm = std::stoi(value());
        } else if (a == "--seed") {
            opt.seed = std::stoull(value());
        } else if (a == "--binary") {
            opt.binary = value();
        } else if (a == "--keep") {
            opt.keep = true;
        } else {
            std::fprintf(stderr,
                         "usage: daemon_crash_harness [--cycles N] [--storm N] [--seed S] "
                         "[--binary PATH] [--keep]\n");
            return 64;
        }
    }
    try {
        Harness h(opt);
        return opt.storm > 0 ? h.storm() : h.cycles();
    } catch (std::exception const& e) {
        std::fprintf(stderr, "daemon crash harness: %s (seed %llu)\n", e.what(),
                     static_cast<unsigned long long>(opt.seed));
        return 1;
    }
}
