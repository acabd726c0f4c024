#include "notify/child.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "notify/child_ledger.hpp"
#include "notify/output_summary.hpp"

// How a delivery runs: spawn() forks the child (see process.hpp); the parent then waits for
// three things on the loop: the pidfd turning readable (exit), the output pipe (read and kept
// up to output_cap, the rest dropped, so the child never blocks on a full pipe), and the
// deadline. Exit completes the delivery: what is already in the pipe is drained and the pipe
// closed, whoever else still holds it. Past the deadline the whole process group gets
// SIGKILL and the child is reaped before `done` runs. After a normal exit the group is left
// alone: a notifier may legitimately leave a background job (it is then outside our control,
// as it would be under the seed script).

namespace portwatch::notify::detail {

namespace asio = boost::asio;

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

}  // namespace

/// One running child: its pid, output pipe, exit wait and deadline. Kept alive by the
/// notifier's in-flight table and by its own pending handlers.
class ChildDelivery : public std::enable_shared_from_this<ChildDelivery> {
  public:
    ChildDelivery(asio::io_context& io, std::weak_ptr<InFlight> owner, pid_t pid,
                  std::string program, std::string cwd, std::size_t output_cap,
                  std::chrono::milliseconds timeout, Notifier::Completion done)
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
          pid_(pid) {
        ledger_started(pid_);
    }

    ChildDelivery(ChildDelivery const&) = delete;
    ChildDelivery& operator=(ChildDelivery const&) = delete;

    ~ChildDelivery() {
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
            ledger_finished(pid_);
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
        ledger_finished(pid_);
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

void start_child(asio::io_context& io, std::shared_ptr<InFlight> const& owner, Spawned spawned,
                 ChildSettings settings, Notifier::Completion done) {
    auto d = std::make_shared<ChildDelivery>(io, owner, spawned.pid, std::move(settings.program),
                                             std::move(settings.cwd), settings.output_cap,
                                             settings.timeout, std::move(done));
    owner->map.emplace(d.get(), d);
    d->start(std::move(spawned));
}

void abandon_all(InFlight& in_flight) {
    // The map goes first so that no delivery edits it.
    auto const flights = std::move(in_flight.map);
    in_flight.map.clear();
    for (auto const& [ptr, d] : flights) {
        d->abandon();
    }
}

}  // namespace portwatch::notify::detail
