#include "notify/process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string_view>

extern char** environ;

namespace portwatch::notify::detail {

namespace {

/// The report a child writes to the status pipe when it fails before exec.
struct Report {
    int stage;
    int error;
};

std::string without_nul(std::string_view s) {
    std::string out(s);
    out.erase(std::remove(out.begin(), out.end(), '\0'), out.end());
    return out;
}

/// The kernel refuses (E2BIG) an argument or environment string of MAX_ARG_STRLEN (32 pages)
/// bytes or more: a longer one is cut at a UTF-8 boundary and ends with "...", so that a huge
/// description is still notified, shortened, rather than never.
std::string fit_exec_limit(std::string s) {
    constexpr std::size_t limit = 32 * 4096 - 1;
    if (s.size() <= limit) {
        return s;
    }
    std::size_t n = limit - 3;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) {
        --n;
    }
    s.resize(n);
    s += "...";
    return s;
}

/// The paths execvp would try for `file`, in order (PATH as the parent sees it; it is also
/// the child's PATH since the child inherits the environment).
std::vector<std::string> exec_candidates(std::string const& file) {
    if (file.empty()) {
        return {};
    }
    if (file.find('/') != std::string::npos) {
        return {file};
    }
    char const* path_env = std::getenv("PATH");
    std::string_view path = path_env != nullptr ? path_env : "/bin:/usr/bin";
    std::vector<std::string> out;
    while (true) {
        auto const colon = path.find(':');
        std::string_view dir = path.substr(0, colon);
        // An empty entry means the current directory, as for execvp.
        out.push_back(dir.empty() ? file : std::string(dir) + "/" + file);
        if (colon == std::string_view::npos) {
            break;
        }
        path.remove_prefix(colon + 1);
    }
    return out;
}

/// Moves a descriptor above stdio so that dup2 onto 0..2 cannot clobber it.
int above_stdio(int fd) {
    if (fd > 2) {
        return fd;
    }
    return ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

[[noreturn]] void child_fail(int status_fd, SpawnFailure::Stage stage, int err) {
    Report const r{static_cast<int>(stage), err};
    // A pipe write below PIPE_BUF is atomic; nothing to do if it fails.
    [[maybe_unused]] auto const n = ::write(status_fd, &r, sizeof r);
    ::_exit(127);
}

/// Runs in the forked child: async-signal-safe calls only, every string prepared before.
[[noreturn]] void run_child(pid_t parent, int devnull, int out_w, int status_w, char const* cwd,
                            std::vector<char const*> const& candidates, char* const* argv,
                            char* const* envp) {
    using Stage = SpawnFailure::Stage;
    ::setpgid(0, 0);
    // Die with the parent; if it already died (before prctl), stop here.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
        ::_exit(127);
    }
    // Default dispositions first, then an empty mask, so no parent handler runs here.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig != SIGKILL && sig != SIGSTOP) {
            ::sigaction(sig, &dfl, nullptr);  // fails for reserved signals: fine
        }
    }
    sigset_t empty;
    ::sigemptyset(&empty);
    ::sigprocmask(SIG_SETMASK, &empty, nullptr);

    status_w = above_stdio(status_w);
    devnull = above_stdio(devnull);
    out_w = above_stdio(out_w);
    if (status_w < 0) {
        ::_exit(127);
    }
    if (devnull < 0 || out_w < 0 || ::dup2(devnull, 0) < 0 || ::dup2(out_w, 1) < 0 ||
        ::dup2(out_w, 2) < 0) {
        child_fail(status_w, Stage::setup, errno);
    }
    if (cwd[0] != '\0' && ::chdir(cwd) != 0) {
        child_fail(status_w, Stage::chdir, errno);
    }
    // Everything above stdio goes at exec; keep the status pipe open until then.
    if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        // Kernels before 5.11: close all but the status pipe (errors ignored).
        if (status_w > 3) {
            ::syscall(SYS_close_range, 3U, static_cast<unsigned>(status_w - 1), 0U);
        }
        ::syscall(SYS_close_range, static_cast<unsigned>(status_w + 1), ~0U, 0U);
    }
    // execvp's search, with execve only: skip missing entries, remember EACCES.
    int err = ENOENT;
    bool eacces = false;
    for (char const* path : candidates) {
        ::execve(path, argv, envp);
        err = errno;
        if (err == EACCES) {
            eacces = true;
        } else if (err != ENOENT && err != ENOTDIR && err != ESTALE && err != ENODEV &&
                   err != ETIMEDOUT) {
            break;
        }
    }
    child_fail(status_w, Stage::exec, eacces && err != ENOEXEC ? EACCES : err);
}

struct ChildArgs {
    pid_t parent;
    int devnull;
    int out_w;
    int status_w;
    char const* cwd;
    std::vector<char const*> const* candidates;
    char* const* argv;
    char* const* envp;
};

int child_entry(void* arg) {
    auto const* a = static_cast<ChildArgs const*>(arg);
    run_child(a->parent, a->devnull, a->out_w, a->status_w, a->cwd, *a->candidates, a->argv,
              a->envp);
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        reset(other.release());
    }
    return *this;
}

int UniqueFd::release() noexcept {
    int const fd = fd_;
    fd_ = -1;
    return fd;
}

void UniqueFd::reset(int fd) noexcept {
    if (fd_ >= 0) {
        ::close(fd_);
    }
    fd_ = fd;
}

std::vector<std::string> make_environment(
    std::vector<std::pair<std::string, std::string>> const& overrides) {
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view const kv = *e;
        auto const name = kv.substr(0, kv.find('='));
        bool const replaced = std::any_of(overrides.begin(), overrides.end(),
                                          [&](auto const& o) { return o.first == name; });
        if (!replaced) {
            env.emplace_back(kv);
        }
    }
    for (auto const& [name, value] : overrides) {
        env.push_back(without_nul(name) + "=" + without_nul(value));
    }
    return env;
}

util::Result<Spawned> spawn(SpawnSpec const& spec) {
    if (spec.argv.empty()) {
        return util::Error{"empty command", std::make_error_code(std::errc::invalid_argument)};
    }
    // Every string and pointer the child uses is built here, before fork.
    std::vector<std::string> args;
    args.reserve(spec.argv.size());
    for (auto const& a : spec.argv) {
        args.push_back(fit_exec_limit(without_nul(a)));
    }
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    std::vector<std::string> env;
    env.reserve(spec.env.size());
    for (auto const& e : spec.env) {
        env.push_back(fit_exec_limit(without_nul(e)));
    }
    std::vector<char*> envp;
    for (auto& e : env) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    std::vector<std::string> const candidates = exec_candidates(args[0]);
    std::vector<char const*> candidate_ptrs;
    for (auto const& c : candidates) {
        candidate_ptrs.push_back(c.c_str());
    }
    std::string const cwd = without_nul(spec.cwd);

    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
        return util::errno_error("cannot create pipe", errno);
    }
    UniqueFd out_r(out[0]);
    UniqueFd out_w(out[1]);
    int st[2];
    if (::pipe2(st, O_CLOEXEC) != 0) {
        return util::errno_error("cannot create pipe", errno);
    }
    UniqueFd status_r(st[0]);
    UniqueFd status_w(st[1]);
    UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!devnull) {
        return util::errno_error("cannot open /dev/null", errno);
    }
    // Only our read ends are non-blocking; the child's stdout stays blocking.
    if (::fcntl(out_r.get(), F_SETFL, O_NONBLOCK) != 0 ||
        ::fcntl(status_r.get(), F_SETFL, O_NONBLOCK) != 0) {
        return util::errno_error("cannot set O_NONBLOCK", errno);
    }

    ChildArgs child{::getpid(),  devnull.get(),   out_w.get(), status_w.get(),
                    cwd.c_str(), &candidate_ptrs, argv.data(), envp.data()};
    // The child shares our memory until it execs (CLONE_VM | CLONE_VFORK, as posix_spawn
    // does) on a stack of its own: no page tables are copied, so starting a notifier costs
    // the same with 100,000 targets in memory as with ten. We wait (suspended) meanwhile.
    // Every signal is blocked across the clone so that no parent handler runs in the child.
    std::vector<char> stack(64 * 1024);
    sigset_t all;
    sigset_t old;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t const pid =
        ::clone(child_entry, stack.data() + stack.size(), CLONE_VM | CLONE_VFORK | SIGCHLD, &child);
    int const fork_errno = errno;
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0) {
        return util::errno_error("cannot fork", fork_errno);
    }
    // Also from the parent, so that kill(-pid) reaches the group from now on (EACCES once
    // the child has exec'd: harmless).
    ::setpgid(pid, pid);

    Spawned s;
    s.pid = pid;
    s.output = std::move(out_r);
    s.status = std::move(status_r);
    int const pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd >= 0) {
        s.pidfd.reset(pidfd);
        ::fcntl(pidfd, F_SETFD, FD_CLOEXEC);  // pidfds are close-on-exec already
    }
    return s;
}

std::optional<SpawnFailure> read_spawn_failure(int status_fd) {
    Report r{};
    ssize_t n;
    do {
        n = ::read(status_fd, &r, sizeof r);
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(sizeof r)) {
        return std::nullopt;
    }
    SpawnFailure f;
    f.stage = static_cast<SpawnFailure::Stage>(r.stage);
    f.error = r.error;
    return f;
}

}  // namespace portwatch::notify::detail
