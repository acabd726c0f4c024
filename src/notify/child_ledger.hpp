#pragma once

// The notifier process groups a run has running, written down beside its state so that the
// next run can stop what a killed run left behind (issue 17 item 3). A notifier runs in its
// own process group and dies with portwatch (PR_SET_PDEATHSIG), but what it started in the
// background does not: after a SIGKILL of portwatch, such a child could deliver the old
// failure message after the next run's recovery. The next run, holding the lock, kills the
// groups recorded there before it delivers anything; those messages are still pending in the
// store and are sent again, in order.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>

namespace portwatch::notify {

/// What adopt_child_ledger() found.
struct LeftoverGroups {
    std::size_t killed = 0;         ///< process groups of an earlier run, killed
    std::size_t still_running = 0;  ///< of those, groups not gone within the wait
};

/// Kills the notifier process groups an earlier run recorded in `file` and that still run
/// (a group whose leader pid now names another process is left alone), waits at most `wait`
/// for them to go, then records this process's groups in `file` from now on. Call it once,
/// holding the lock that makes this process the only run on its state. `file` is opened
/// without following a symlink; a file that cannot be opened only disables the record.
LeftoverGroups adopt_child_ledger(std::filesystem::path const& file,
                                  std::chrono::milliseconds wait);

namespace detail {

/// A notifier child `pgid` (its own group's leader) was started / was reaped.
void ledger_started(pid_t pgid);
void ledger_finished(pid_t pgid);

}  // namespace detail
}  // namespace portwatch::notify
