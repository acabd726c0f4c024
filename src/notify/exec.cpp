#include "notify/exec.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <fstream>
#include <string_view>
#include <system_error>
#include <unordered_map>

#include <fmt/format.h>

#include "notify/process.hpp"
#include "notify/registry.hpp"
#include "util/shell_words.hpp"
#include "util/time.hpp"

// How a delivery runs: spawn() forks the child (see process.hpp); the parent then waits for
// three things on the loop: the pidfd turning readable (exit), the output pipe (read and kept
// up to output_cap, the rest dropped, so the child never blocks on a full pipe), and the
// deadline. Exit completes the delivery: what is already in the pipe is drained and the pipe
// closed, whoever else still holds it. Past the deadline the whole process group gets
// SIGKILL and the child is reaped before `done` runs. After a normal exit the group is left
// alone: a notifier may legitimately leave a background job (it is then outside our control,
// as it would be under the seed script).

namespace portwatch::notify {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using detail::SpawnFailure;

namespace {

/// Longest DeliveryResult::detail we produce, in bytes.
constexpr std::size_t max_detail = 1024;
/// Bytes read from the output pipe after the child exited (a daemon it left may keep writing).
constexpr std::size_t max_drain = 1 << 20;
/// How long a killed child may take to be reaped before the timeout is reported anyway.
constexpr auto kill_grace = std::chrono::seconds(2);
/// Poll period for child exit when pidfd_open is unavailable (old kernel, seccomp).
constexpr auto exit_poll = std::chrono::milliseconds(20);

std::string error_text(int err) {
    return std::generic_category().message(err);
}

std::string seconds_text(std::chrono::milliseconds d) {
    return fmt::format("{:g} s", static_cast<double>(d.count()) / 1000.0);
}

/// Length of the well-formed UTF-8 sequence at s[0], 0 when it is not one.
std::size_t utf8_sequence(std::string_view s) {
    auto const b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    unsigned char const c = b(0);
    std::size_t len;
    unsigned char lo = 0x80;
    unsigned char hi = 0xbf;
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (s.size() < len || b(1) < lo || b(1) > hi) {
        return 0;
    }
    for (std::size_t i = 2; i < len; ++i) {
        if (b(i) < 0x80 || b(i) > 0xbf) {
            return 0;
        }
    }
    return len;
}

/// The last non-blank line of the output, as one line of valid UTF-8 (control characters
/// become spaces, invalid bytes '?') of at most `limit` bytes.
std::string output_summary(std::string_view out, std::size_t limit) {
    auto const is_blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!out.empty() && is_blank(out.back())) {
        out.remove_suffix(1);
    }
    auto const nl = out.rfind('\n');
    if (nl != std::string_view::npos) {
        out.remove_prefix(nl + 1);
    }
    while (!out.empty() && is_blank(out.front())) {
        out.remove_prefix(1);
    }
    std::string line;
    while (!out.empty()) {
        std::size_t const n = utf8_sequence(out);
        if (line.size() + std::max<std::size_t>(n, 1) > limit) {
            break;
        }
        if (n == 0) {
            line += '?';
            out.remove_prefix(1);
            continue;
        }
        unsigned char const c = static_cast<unsigned char>(out[0]);
        line += (n == 1 && (c < 0x20 || c == 0x7f)) ? ' ' : out[0];
        line.append(out.substr(1, n - 1));
        out.remove_prefix(n);
    }
    return line;
}

class Delivery;

/// The deliveries whose child is not reaped yet, owned by the notifier.
struct InFlight {
    std::unordered_map<Delivery*, std::shared_ptr<Delivery>> map;
};

/// One running child: its pid, output pipe, exit wait and deadline. Kept alive by the
/// notifier's in-flight table and by its own pending handlers.
class Delivery : public std::enable_shared_from_this<Delivery> {
  public:
    Delivery(asio::io_context& io, std::weak_ptr<InFlight> owner, pid_t pid, std::string program,
             std::string cwd, std::size_t output_cap, std::chrono::milliseconds timeout,
             Notifier::Completion done)
        : io_(io),
          owner_(std::move(owner)),
          program_(std::move(program)),
          cwd_(std::move(cwd)),
          output_cap_(output_cap),
          timeout_(timeout),
          done_(std::move(done)),
          output_(io),
          pidfd_(io),
          timer_(io),
          poll_(io),
          pid_(pid) {}

    Delivery(Delivery const&) = delete;
    Delivery& operator=(Delivery const&) = delete;

    ~Delivery() {
        // Safety net: never leave a child unreaped.
        abandon();
    }

    /// Takes over a started child and arms the output read, the exit wait and the deadline.
    void start(detail::Spawned spawned) {
        status_fd_ = std::move(spawned.status);
        boost::system::error_code ec;
        output_.assign(spawned.output.release(), ec);
        if (!ec) {
            read_output();
        }
        if (spawned.pidfd) {
            pidfd_.assign(spawned.pidfd.release(), ec);
        }
        wait_exit();
        timer_.expires_after(timeout_);
        timer_.async_wait(
            [self = shared_from_this()](boost::system::error_code ec) { self->on_timer(ec); });
    }

    /// Kills and reaps the child at once (notifier destroyed); `done` is posted as cancelled.
    void abandon() noexcept {
        if (pid_ > 0 && !reaped_) {
            ::kill(-pid_, SIGKILL);
            ::kill(pid_, SIGKILL);
            int st;
            while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
            }
            reaped_ = true;
        }
        close_all();
        if (done_) {
            auto done = std::move(done_);
            done_ = nullptr;
            try {
                asio::post(io_, [done = std::move(done)] {
                    done(DeliveryResult{
                        DeliveryError::cancelled, "cancelled: notifier shut down", {}});
                });
            } catch (...) {
                // Out of memory while shutting down: the completion is dropped.
            }
        }
    }

  private:
    // Readiness, then read() here: a completed async_read_some would hold its bytes in a
    // queued handler, which could run after on_exited() has already made the result (the last
    // line of the output, the one the detail shows, was then lost now and then).
    void read_output() {
        output_.async_wait(
            asio::posix::stream_descriptor::wait_read,
            [self = shared_from_this()](boost::system::error_code ec) { self->on_output(ec); });
    }

    void on_output(boost::system::error_code ec) {
        if (ec || !output_.is_open()) {
            return;  // closed after exit (that drained the rest), or cancelled
        }
        // A bounded batch, then back to the loop. At EOF or an error: stop reading (exit is
        // what completes a delivery).
        if (drain_output(16 * buf_.size())) {
            read_output();
        }
    }

    /// Reads what the (non-blocking) pipe holds, at most about `max_bytes`, into the kept
    /// output; false at EOF or on an error, true when the pipe may give more later.
    bool drain_output(std::size_t max_bytes) {
        for (std::size_t drained = 0; drained < max_bytes;) {
            ssize_t const n = ::read(output_.native_handle(), buf_.data(), buf_.size());
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                return true;
            }
            if (n <= 0) {
                return false;
            }
            keep_output(buf_.data(), static_cast<std::size_t>(n));
            drained += static_cast<std::size_t>(n);
        }
        return true;
    }

    /// Keeps the last output_cap_ bytes of the output.
    void keep_output(char const* data, std::size_t n) {
        if (output_cap_ == 0 || n == 0) {
            return;
        }
        if (n >= output_cap_) {
            output_tail_.assign(data + (n - output_cap_), output_cap_);
            return;
        }
        output_tail_.append(data, n);
        if (output_tail_.size() > output_cap_) {
            output_tail_.erase(0, output_tail_.size() - output_cap_);
        }
    }

    void wait_exit() {
        if (pidfd_.is_open()) {
            pidfd_.async_wait(asio::posix::stream_descriptor::wait_read,
                              [self = shared_from_this()](boost::system::error_code ec) {
                                  self->on_exit_ready(ec);
                              });
        } else {
            poll_.expires_after(exit_poll);
            poll_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
                self->on_exit_ready(ec);
            });
        }
    }

    void on_exit_ready(boost::system::error_code ec) {
        if (ec == asio::error::operation_aborted || reaped_) {
            return;
        }
        if (try_reap()) {
            on_exited();
        } else {
            wait_exit();
        }
    }

    void on_timer(boost::system::error_code ec) {
        if (ec == asio::error::operation_aborted || reaped_) {
            return;
        }
        if (!timed_out_) {
            // It may have exited just now: then it is not a timeout.
            if (try_reap()) {
                on_exited();
                return;
            }
            timed_out_ = true;
            ::kill(-pid_, SIGKILL);
            ::kill(pid_, SIGKILL);
            timer_.expires_after(kill_grace);
            timer_.async_wait(
                [self = shared_from_this()](boost::system::error_code ec) { self->on_timer(ec); });
            return;
        }
        // Killed but still not reaped (uninterruptible sleep): report now, reap later.
        finish(DeliveryResult{DeliveryError::timed_out,
                              "timed out after " + seconds_text(timeout_) +
                                  " (the killed notifier has not exited yet)",
                              {}});
    }

    /// waitpid without blocking; true once the child is reaped.
    bool try_reap() {
        int st = 0;
        pid_t r;
        do {
            r = ::waitpid(pid_, &st, WNOHANG);
        } while (r < 0 && errno == EINTR);
        if (r == 0) {
            return false;
        }
        reaped_ = true;
        if (r == pid_) {
            wait_status_ = st;
        } else {
            status_known_ = false;  // ECHILD: SIGCHLD ignored, or reaped by someone else
        }
        return true;
    }

    void on_exited() {
        timer_.cancel();
        poll_.cancel();
        // Take what is already in the pipe, then stop: a daemon the notifier left behind
        // may hold the pipe open for ever.
        if (output_.is_open()) {
            drain_output(max_drain);
        }
        std::optional<SpawnFailure> failure;
        if (status_fd_) {
            failure = detail::read_spawn_failure(status_fd_.get());
        }
        DeliveryResult result = make_result(failure);
        close_all();
        // Done with this child: leave the in-flight table (our handler keeps us alive).
        if (auto owner = owner_.lock()) {
            owner_.reset();
            owner->map.erase(this);
        }
        finish(std::move(result));
    }

    DeliveryResult make_result(std::optional<SpawnFailure> const& failure) const {
        if (timed_out_) {
            return DeliveryResult{
                DeliveryError::timed_out, "timed out after " + seconds_text(timeout_), {}};
        }
        if (failure) {
            switch (failure->stage) {
                case SpawnFailure::Stage::exec:
                    return DeliveryResult{
                        DeliveryError::cannot_execute,
                        fmt::format("cannot execute {}: {}", program_, error_text(failure->error)),
                        {}};
                case SpawnFailure::Stage::chdir:
                    return DeliveryResult{DeliveryError::cannot_start,
                                          fmt::format("cannot change directory to {}: {}", cwd_,
                                                      error_text(failure->error)),
                                          {}};
                case SpawnFailure::Stage::setup:
                    break;
            }
            return DeliveryResult{
                DeliveryError::cannot_start,
                fmt::format("cannot start {}: {}", program_, error_text(failure->error)),
                {}};
        }
        DeliveryResult r;
        if (!status_known_) {
            r.error = DeliveryError::unknown_status;
            r.detail = "exit status unknown (child reaped elsewhere)";
        } else if (WIFEXITED(wait_status_)) {
            if (WEXITSTATUS(wait_status_) != 0) {
                r.error = DeliveryError::exit_status;
            }
            r.detail = fmt::format("exit status {}", WEXITSTATUS(wait_status_));
        } else if (WIFSIGNALED(wait_status_)) {
            r.error = DeliveryError::killed_by_signal;
            r.detail = fmt::format("killed by signal {}", WTERMSIG(wait_status_));
        } else {
            r.error = DeliveryError::unknown_status;
            r.detail = fmt::format("wait status {}", wait_status_);
        }
        std::size_t const room = max_detail - r.detail.size() - 2;
        std::string const summary = output_summary(output_tail_, room);
        if (!summary.empty()) {
            r.detail += ": " + summary;
        }
        return r;
    }

    /// Runs `done` once; the delivery may still wait to reap its child afterwards.
    void finish(DeliveryResult result) {
        if (!done_) {
            return;
        }
        auto done = std::move(done_);
        done_ = nullptr;
        // Last thing we do: `done` may destroy the notifier.
        done(std::move(result));
    }

    void close_all() noexcept {
        boost::system::error_code ignored;
        output_.close(ignored);
        pidfd_.close(ignored);
        timer_.cancel();
        poll_.cancel();
        status_fd_.reset();
    }

    asio::io_context& io_;
    std::weak_ptr<InFlight> owner_;
    std::string program_;
    std::string cwd_;
    std::size_t output_cap_;
    std::chrono::milliseconds timeout_;
    Notifier::Completion done_;

    asio::posix::stream_descriptor output_;
    asio::posix::stream_descriptor pidfd_;
    asio::steady_timer timer_;
    asio::steady_timer poll_;
    detail::UniqueFd status_fd_;
    pid_t pid_ = -1;
    int wait_status_ = 0;
    bool reaped_ = false;
    bool status_known_ = true;
    bool timed_out_ = false;
    std::string output_tail_;
    std::array<char, 16384> buf_{};
};

}  // namespace

struct ExecNotifier::Impl {
    Impl(asio::io_context& io_, ExecOptions options_) : io(io_), options(std::move(options_)) {}

    ~Impl() {
        // Kill and reap what still runs; the map goes first so that no Delivery edits it.
        auto const flights = std::move(in_flight->map);
        in_flight.reset();
        for (auto const& [ptr, d] : flights) {
            d->abandon();
        }
    }

    /// Posts a failure: `done` never runs inside deliver().
    void fail(Completion done, DeliveryError error, std::string detail) {
        asio::post(io, [done = std::move(done), error, detail = std::move(detail)]() mutable {
            done(DeliveryResult{error, std::move(detail), {}});
        });
    }

    /// Moves `done` out only once its delivery is committed to run it.
    void deliver(Notification const& n, std::chrono::milliseconds timeout, Completion& done) {
        if (options.argv.empty()) {
            fail(std::move(done), DeliveryError::misconfigured, "no notifier command configured");
            return;
        }
        auto const& e = n.event;
        detail::SpawnSpec spec;
        spec.argv = options.argv;
        spec.argv.push_back(n.message);
        spec.env = detail::make_environment({
            {"PORTWATCH_EVENT", e.kind == eval::EventKind::up ? "up" : "down"},
            {"PORTWATCH_HOST", e.host},
            {"PORTWATCH_PORT", std::to_string(e.port)},
            {"PORTWATCH_DESCRIPTION", e.description},
            {"PORTWATCH_REASON", e.reason},
            {"PORTWATCH_DETAIL", e.detail},
            {"PORTWATCH_TIME", util::format_iso_local(e.time)},
            {"PORTWATCH_KEY", e.key},
            {"PORTWATCH_MESSAGE", n.message},
            {"PORTWATCH_EVENT_ID", e.id},
        });
        spec.cwd = options.cwd.string();
        auto spawned = detail::spawn(spec);
        if (!spawned) {
            fail(std::move(done), DeliveryError::cannot_start,
                 fmt::format("cannot start {}: {}: {}", options.argv[0], spawned.error().message,
                             spawned.error().code.message()));
            return;
        }
        // From here the child exists: the Delivery reaps it whatever happens.
        // Clamped so that the deadline cannot overflow the clock.
        auto const limit = std::chrono::milliseconds(std::chrono::hours(24 * 365));
        timeout = std::clamp(timeout, std::chrono::milliseconds(0), limit);
        auto d = std::make_shared<Delivery>(io, in_flight, spawned->pid, options.argv[0], spec.cwd,
                                            options.output_cap, timeout, std::move(done));
        in_flight->map.emplace(d.get(), d);
        d->start(std::move(*spawned));
    }

    asio::io_context& io;
    ExecOptions options;
    std::shared_ptr<InFlight> in_flight = std::make_shared<InFlight>();
};

ExecNotifier::ExecNotifier(asio::io_context& io, ExecOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

ExecNotifier::~ExecNotifier() = default;

std::string const& ExecNotifier::name() const {
    return impl_->options.name;
}

void ExecNotifier::deliver(Notification const& n, std::chrono::milliseconds timeout,
                           Completion done) {
    try {
        impl_->deliver(n, timeout, done);
    } catch (std::exception const& ex) {
        // Out of memory or a failing Asio setup: report it, never throw into the loop. If
        // `done` was already moved into a Delivery, that Delivery reports instead.
        if (done) {
            impl_->fail(std::move(done), DeliveryError::cannot_start,
                        fmt::format("cannot start notifier: {}", ex.what()));
        }
    }
}

std::vector<std::string> default_notify_command(fs::path const& dir) {
    std::error_code ec;
    fs::path script = fs::absolute(dir / "push_msg.py", ec).lexically_normal();
    if (ec) {
        script = dir / "push_msg.py";
    }
    // Missing: run the path itself, so that each delivery fails with the clearest message
    // ("cannot execute DIR/push_msg.py: No such file or directory") and the event stays
    // pending, rather than python3's "can't open file" exit status 2.
    if (!fs::exists(script, ec)) {
        return {script.string()};
    }
    // Run directly only what the kernel can exec: executable by us and a "#!" script or an
    // ELF binary. A push_msg.py without a shebang (the seed ran `python push_msg.py`) goes
    // through python3 even when its x bit is set.
    if (::access(script.c_str(), X_OK) == 0 && fs::is_regular_file(script, ec)) {
        std::ifstream in(script, std::ios::binary);
        char head[4] = {};
        in.read(head, sizeof head);
        std::string_view const magic(head, static_cast<std::size_t>(in.gcount()));
        if (magic.starts_with("#!") || magic == std::string_view("\x7f"
                                                                 "ELF",
                                                                 4)) {
            return {script.string()};
        }
    }
    return {"python3", script.string()};
}

namespace {

/// The `command` option as argv: a list as written, a string split like sh would (no
/// expansion); empty when absent; an error message when it cannot be used.
util::Result<std::vector<std::string>> exec_command(config::NotifierSpec const& spec) {
    auto const it = spec.options.find("command");
    if (it == spec.options.end()) {
        return std::vector<std::string>{};
    }
    auto const& o = it->second;
    std::vector<std::string> argv;
    if (o.list) {
        argv = o.values;
    } else {
        auto words = util::split_command(o.values.empty() ? "" : o.values.front());
        if (!words) {
            return words.error();
        }
        argv = std::move(*words);
    }
    if (argv.empty()) {
        return util::Error{"empty command", std::make_error_code(std::errc::invalid_argument)};
    }
    return argv;
}

}  // namespace

void validate_exec(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out) {
    reject_unknown_options(spec, {"command"}, out);
    if (auto argv = exec_command(spec); !argv) {
        out.push_back(config::option_error(spec, "command", argv.error().message));
    }
}

std::vector<std::string> exec_argv(config::NotifierSpec const& spec) {
    auto argv = exec_command(spec);
    return argv ? std::move(*argv) : std::vector<std::string>{};
}

std::unique_ptr<Notifier> create_exec(asio::io_context& io, config::NotifierSpec const& spec,
                                      NotifierContext const& context) {
    auto argv = exec_argv(spec);
    ExecOptions options{
        .name = spec.name,
        .argv = !argv.empty() ? std::move(argv) : default_notify_command(context.base_dir),
        .cwd = context.base_dir};
    return std::make_unique<ExecNotifier>(io, std::move(options));
}

}  // namespace portwatch::notify
