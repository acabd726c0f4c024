#include "support/background_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace portwatch::test {

BackgroundProcess::BackgroundProcess(std::vector<std::string> const& argv,
                                     std::filesystem::path const& cwd,
                                     std::map<std::string, std::string> const& env,
                                     std::filesystem::path const& log) {
    std::vector<char*> args;
    for (auto const& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) {
        int const out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (out < 0 || ::chdir(cwd.c_str()) != 0) {
            ::_exit(126);
        }
        ::dup2(out, 1);
        ::dup2(out, 2);
        for (auto const& [k, v] : env) {
            if (v.empty()) {
                ::unsetenv(k.c_str());
            } else {
                ::setenv(k.c_str(), v.c_str(), 1);
            }
        }
        ::execv(args[0], args.data());
        ::_exit(127);
    }
}

BackgroundProcess::~BackgroundProcess() {
    if (!done_) {
        ::kill(pid_, SIGKILL);
        wait(std::chrono::seconds(10));
    }
}

void BackgroundProcess::signal(int sig) const {
    if (!done_) {
        ::kill(pid_, sig);
    }
}

bool BackgroundProcess::exited() {
    if (done_) {
        return true;
    }
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        done_ = true;
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
    }
    return done_;
}

std::optional<int> BackgroundProcess::wait(std::chrono::milliseconds timeout) {
    if (poll_until([this] { return exited(); }, timeout)) {
        return status_;
    }
    return std::nullopt;
}

}  // namespace portwatch::test
