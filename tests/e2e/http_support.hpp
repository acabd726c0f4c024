#pragma once
// Helpers of the daemon's HTTP end-to-end tests: a spawned process, curl, bounded polling.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/process.hpp"

namespace portwatch::test {

using namespace std::chrono_literals;

/// A background process, its output in files; SIGTERM (then SIGKILL) and reaped at the end.
class Spawned {
  public:
    Spawned(std::vector<std::string> argv, std::filesystem::path const& log) {
        std::vector<char*> args;
        for (auto& a : argv)
            args.push_back(a.data());
        args.push_back(nullptr);
        int const fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::setpgid(0, 0);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            ::execvp(args[0], args.data());
            ::_exit(127);
        }
        ::close(fd);
    }
    ~Spawned() { stop(); }
    Spawned(Spawned const&) = delete;
    Spawned& operator=(Spawned const&) = delete;

    /// Sends `sig` (SIGHUP: reload) to the process.
    void signal(int sig) {
        if (pid_ > 0)
            ::kill(pid_, sig);
    }
    bool running() {
        int status = 0;
        return pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == 0;
    }
    /// SIGTERM, then SIGKILL to the group after 10 s; returns the exit status (-1 if killed).
    int stop() {
        if (pid_ <= 0)
            return exit_;
        ::kill(pid_, SIGTERM);
        int status = 0;
        for (int i = 0; i < 1000; ++i) {
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                return exit_;
            }
            std::this_thread::sleep_for(10ms);
        }
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return exit_ = -1;
    }

  private:
    pid_t pid_ = -1;
    int exit_ = -1;
};

/// A free loopback port for a server the test starts (bound to port 0, read, released).
inline std::uint16_t free_port() {
    int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("cannot bind a loopback port");
    ::close(fd);
    return ntohs(a.sin_port);
}

struct Fetched {
    int status = 0;
    std::string body;
};

/// GET with curl, bounded; status 0 when nothing answered.
inline Fetched fetch(std::string const& url, std::vector<std::string> headers = {}) {
    std::vector<std::string> argv = {"curl", "-sS", "--max-time", "10", "-w", "\n%{http_code}"};
    for (auto const& h : headers) {
        argv.push_back("-H");
        argv.push_back(h);
    }
    argv.push_back(url);
    auto const r = run_process(argv, {.timeout = 15s});
    auto const nl = r.out.rfind('\n');
    if (nl == std::string::npos)
        return {};
    return {std::atoi(r.out.c_str() + nl + 1), r.out.substr(0, nl)};
}

/// Polls `ok` every 200 ms for at most `limit`.
template <class F>
inline bool eventually(std::chrono::milliseconds limit, F ok) {
    auto const deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (ok())
            return true;
        std::this_thread::sleep_for(200ms);
    }
    return ok();
}

inline std::string slurp(std::filesystem::path const& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace portwatch::test
