#pragma once

#include <sys/types.h>
#include <time.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace portwatch::test {

/// A child process started in the background (no shell), e.g. `portwatch run`: its own cwd,
/// extra environment (an empty value unsets the variable), stdout and stderr appended to `log`.
/// SIGKILLed by the destructor if still running.
class BackgroundProcess {
  public:
    BackgroundProcess(std::vector<std::string> const& argv, std::filesystem::path const& cwd,
                      std::map<std::string, std::string> const& env,
                      std::filesystem::path const& log);
    ~BackgroundProcess();
    BackgroundProcess(BackgroundProcess const&) = delete;
    BackgroundProcess& operator=(BackgroundProcess const&) = delete;

    pid_t pid() const { return pid_; }
    void signal(int sig) const;
    /// Whether it has exited (reaps it).
    bool exited();
    /// Waits at most `timeout` for the exit: the exit code, -signal when killed, or nullopt.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    /// How it ended, once exited(): exit code or -signal.
    int status() const { return status_; }

  private:
    pid_t pid_ = -1;
    bool done_ = false;
    int status_ = 0;
};

/// Polls `pred` every 5 ms for at most `timeout`; the last answer of `pred`.
template <class Pred>
bool poll_until(Pred pred, std::chrono::milliseconds timeout) {
    auto const end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) {
            return true;
        }
        struct timespec const ts{0, 5'000'000};
        ::nanosleep(&ts, nullptr);
    }
    return pred();
}

}  // namespace portwatch::test
