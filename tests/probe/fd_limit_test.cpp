// Probing under a low RLIMIT_NOFILE, in a forked child so the test process keeps its limit.
#include "probe/engine.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "support/listener.hpp"

namespace portwatch::probe {
namespace {

using namespace std::chrono_literals;

bool set_soft_nofile(rlim_t n) {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return false;
    }
    rl.rlim_cur = n;
    return ::setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

struct Ports {
    std::uint16_t up;
    std::uint16_t refused;
    bool fill_fds;  // take most free fds so that socket() hits EMFILE
};

// Runs fn in a child process (fn returns the exit code) against a listener and a closed port
// of the parent's; waits at most `bound`. The child is forked before the listener's thread
// exists and gets the ports through a pipe: a fork while another thread runs can leave the
// child blocked for ever on a lock that thread held (seen once in CI under ASan: a 120 s hang
// of a test that takes 0.1 s).
int run_in_child(int (*fn)(void*), bool fill_fds, std::chrono::seconds bound) {
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) {
        return -1;
    }
    std::fflush(nullptr);
    pid_t const pid = ::fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        ::close(pipefd[1]);
        Ports ports{};
        if (::read(pipefd[0], &ports, sizeof ports) != static_cast<ssize_t>(sizeof ports)) {
            ::_exit(98);  // the parent could not start its listener
        }
        ::close(pipefd[0]);
        int code = 99;  // an exception must not run the rest of gtest in the child
        try {
            code = fn(&ports);
        } catch (std::exception const& e) {
            std::fprintf(stderr, "child: %s\n", e.what());
        }
        ::_exit(code);
    }
    ::close(pipefd[0]);
    int status = 0;
    {
        test::LoopbackListener server;
        test::ClosedPort closed;
        if (server.ok() && closed.ok()) {
            Ports const ports{server.port(), closed.port(), fill_fds};
            [[maybe_unused]] auto const n = ::write(pipefd[1], &ports, sizeof ports);
        } else {
            std::fprintf(stderr, "listener: %s\n", server.error().c_str());
        }
        ::close(pipefd[1]);
        auto const until = std::chrono::steady_clock::now() + bound;
        for (;;) {
            pid_t const w = ::waitpid(pid, &status, WNOHANG);
            if (w == pid) {
                break;
            }
            if (std::chrono::steady_clock::now() > until) {
                ::kill(pid, SIGKILL);
                ::waitpid(pid, &status, 0);
                return -2;
            }
            std::this_thread::sleep_for(20ms);
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The child starts with stdio only: whatever fds the test runner leaked into us would
// otherwise eat into the 64 (seen in CI: ~50 inherited fds left the engine none).
void close_inherited_fds() {
    ::close_range(3, ~0U, 0);
}

int low_limit_child(void* arg) {
    auto const& ports = *static_cast<Ports*>(arg);
    close_inherited_fds();
    if (!set_soft_nofile(64)) {
        std::fprintf(stderr, "setrlimit failed\n");
        return 10;
    }
    {
        boost::asio::io_context io;
        Engine engine(io, {.concurrency = 1000});
        if (engine.concurrency() != 32) {
            std::fprintf(stderr, "cap %zu, want 64 - 32\n", engine.concurrency());
            return 11;
        }
    }
    std::vector<int> held;
    if (ports.fill_fds) {
        // Leave only a handful of descriptors: the engine must adapt, not report DOWN.
        for (;;) {
            int const fd = ::dup(0);
            if (fd < 0) {
                break;
            }
            held.push_back(fd);
        }
        for (int i = 0; i < 12 && !held.empty(); ++i) {
            ::close(held.back());
            held.pop_back();
        }
    }
    std::vector<ProbeRequest> reqs;
    for (std::size_t i = 0; i < 2000; ++i) {
        reqs.push_back({.host = "127.0.0.1",
                        .port = i % 4 == 0 ? ports.refused : ports.up,
                        .timeout = 5000ms});
    }
    auto const results = probe_all(reqs, {});
    int wrong = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
        bool const ok = i % 4 == 0 ? (!results[i].up && results[i].error == ProbeError::refused)
                                   : results[i].up;
        if (!ok && ++wrong <= 5) {
            std::fprintf(stderr, "target %zu: up=%d error=%s detail=%s\n", i, int(results[i].up),
                         results[i].reason().c_str(), results[i].detail.c_str());
        }
    }
    return wrong == 0 ? 0 : 1;
}

TEST(FdLimit, CapIsClampedAndEveryTargetClassifiedUnderUlimit64) {
    EXPECT_EQ(run_in_child(&low_limit_child, false, 120s), 0);
}

TEST(FdLimit, SocketExhaustionRequeuesInsteadOfDown) {
    EXPECT_EQ(run_in_child(&low_limit_child, true, 120s), 0);
}

// Not one fd free and none of ours to wait for: the whole queue is given up after one
// timeout as a local failure (UNKNOWN), not one job per timeout (500 x 300 ms here).
int no_fd_at_all_child(void* arg) {
    auto const& ports = *static_cast<Ports*>(arg);
    close_inherited_fds();
    if (!set_soft_nofile(64)) {
        return 10;
    }
    std::vector<ProbeRequest> reqs;
    for (std::size_t i = 0; i < 500; ++i) {
        reqs.push_back({.host = "127.0.0.1", .port = ports.up, .timeout = 300ms});
    }
    boost::asio::io_context io;
    Engine engine(io, {.concurrency = 16});
    std::vector<ProbeResult> results(reqs.size());
    std::size_t done = 0;
    for (std::size_t i = 0; i < reqs.size(); ++i) {
        engine.submit(reqs[i], [&results, &done, i](ProbeResult r) {
            results[i] = std::move(r);
            ++done;
        });
    }
    std::vector<int> held;
    for (int n = 0; n < 100000; ++n) {  // take every free fd (bounded: the limit is 64)
        int const fd = ::dup(0);
        if (fd < 0) {
            break;
        }
        held.push_back(fd);
    }
    io.run();
    if (done != reqs.size()) {
        std::fprintf(stderr, "%zu of %zu completed\n", done, reqs.size());
        return 2;
    }
    int wrong = 0;
    for (auto const& r : results) {
        if ((r.up || !r.is_local() || r.detail.find("no file descriptor") == std::string::npos) &&
            ++wrong <= 3) {
            std::fprintf(stderr, "up=%d local=%d detail=%s\n", int(r.up), int(r.is_local()),
                         r.detail.c_str());
        }
    }
    return wrong == 0 ? 0 : 1;
}

TEST(FdLimit, NoFreeFdGivesUpTheQueueOnceAsLocalFailures) {
    EXPECT_EQ(run_in_child(&no_fd_at_all_child, false, 30s), 0);
}

}  // namespace
}  // namespace portwatch::probe
