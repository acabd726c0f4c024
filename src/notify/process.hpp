#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace portwatch::notify::detail {

/// An owned file descriptor, closed on destruction.
class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(UniqueFd const&) = delete;
    UniqueFd& operator=(UniqueFd const&) = delete;
    ~UniqueFd() { reset(); }

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    int release() noexcept;
    void reset(int fd = -1) noexcept;

  private:
    int fd_ = -1;
};

/// What to run. Strings may hold any byte but NUL (NUL bytes are removed); one longer
/// than the kernel takes (128 KiB) is cut short.
struct SpawnSpec {
    std::vector<std::string> argv;  ///< argv[0] is looked up in PATH when it has no '/'
    std::vector<std::string> env;   ///< "NAME=value" entries, the complete environment
    std::string cwd;                ///< empty: inherit
};

/// A started child. All descriptors are O_CLOEXEC and non-blocking.
struct Spawned {
    pid_t pid = -1;   ///< also its process group id
    UniqueFd pidfd;   ///< readable once the child exited; empty when pidfd_open failed
    UniqueFd output;  ///< read end of the child's stdout+stderr
    UniqueFd status;  ///< read end of the pre-exec failure report (see read_spawn_failure)
};

/// Forks and execs `spec`: own process group, PR_SET_PDEATHSIG(SIGKILL), default signal
/// dispositions with an empty mask, stdin from /dev/null, stdout+stderr to one pipe, every
/// other descriptor closed. Fails only when the parent cannot set up or fork; a failure in
/// the child (chdir, exec) is reported through Spawned::status.
util::Result<Spawned> spawn(SpawnSpec const& spec);

/// Why the child could not exec, as reported through Spawned::status.
struct SpawnFailure {
    enum class Stage { setup, chdir, exec };
    Stage stage = Stage::exec;
    int error = 0;  ///< errno
};

/// Reads the failure report once the child has exited: nullopt when the child did exec.
std::optional<SpawnFailure> read_spawn_failure(int status_fd);

/// The complete environment for a child: `environ` with `overrides` replacing or adding
/// entries ("NAME=value"). NUL bytes in values are removed.
std::vector<std::string> make_environment(
    std::vector<std::pair<std::string, std::string>> const& overrides);

}  // namespace portwatch::notify::detail
