#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/notifier.hpp"
#include "notify/notifier.hpp"

namespace boost::asio {
class io_context;
}

namespace portwatch::notify {

struct ExecOptions {
    /// The destination's name (Notifier::name()).
    std::string name = "exec";
    /// The command; the message is appended as one more argument. Never run through a shell.
    std::vector<std::string> argv;
    /// Working directory of the child (the list's directory in check mode).
    std::filesystem::path cwd;
    /// Bytes of the child's stdout+stderr kept for the log; the rest is read and dropped.
    std::size_t output_cap = 64 * 1024;
};

/// Runs a program per notification: `argv... MESSAGE`, with the event in PORTWATCH_*
/// environment variables. The child gets its own process group, which is killed (SIGKILL)
/// past the timeout, and it dies with portwatch (PR_SET_PDEATHSIG) so that a killed run never
/// leaves a notifier behind to deliver out of order.
///
/// A delivery completes when the child exits (not at EOF of its output), so a background job
/// it leaves holding stdout does not hang it; such a job is not killed after a normal exit
/// (only on timeout, with the group). Call deliver() on the io_context's thread (PDEATHSIG is
/// tied to the thread that forks). Destroy the notifier before its io_context: children still
/// running are then killed and reaped, and their completions posted with
/// DeliveryError::cancelled ("cancelled: notifier shut down").
///
/// Errors: exit_status, killed_by_signal, timed_out, cannot_execute, cannot_start,
/// cancelled, misconfigured (no command), unknown_status (child reaped elsewhere).
class ExecNotifier final : public Notifier {
  public:
    ExecNotifier(boost::asio::io_context& io, ExecOptions options);
    ~ExecNotifier() override;
    std::string const& name() const override;
    void deliver(Notification const& n, std::chrono::milliseconds timeout,
                 Completion done) override;

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

/// The seed's default command for a directory: `python3 DIR/push_msg.py`, or the script
/// itself when it is executable by us and starts with "#!" (or is an ELF binary). The path is
/// absolute. When there is no push_msg.py it returns the path alone, so that each delivery
/// fails with "cannot execute DIR/push_msg.py: No such file or directory" and the event
/// stays pending.
std::vector<std::string> default_notify_command(std::filesystem::path const& dir);

/// The exec type's options: `command` (a command line split like sh without expansion, or a
/// list of arguments; default: default_notify_command() of the base directory).
void validate_exec(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out);

/// The `command` option of a validated exec spec as argv; empty when it has none (then the
/// default is default_notify_command()).
std::vector<std::string> exec_argv(config::NotifierSpec const& spec);

/// An ExecNotifier for a validated spec, run in the context's base directory.
std::unique_ptr<Notifier> create_exec(boost::asio::io_context& io, config::NotifierSpec const& spec,
                                      NotifierContext const& context);

}  // namespace portwatch::notify
