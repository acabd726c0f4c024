#pragma once

#include <cstddef>
#include <vector>

#include "config/target.hpp"
#include "store/store.hpp"

namespace portwatch::driver {

/// The order in which a `check` run starts its probes: up to `max_first` of the targets whose
/// last check ran into the deadline (a silently dropped SYN, a DNS timeout) first, in list
/// order, then all the others in list order.
///
/// A run ends when its slowest probe does. A target that timed out last time is likely to hold
/// its slot for the whole timeout again; started first, its timeout runs while the fast
/// majority is checked, instead of starting after them (longest expected job first). With the
/// list in file order the run takes up to one timeout plus the time for everything before the
/// last dropped target; slow first, about one timeout.
///
/// `max_first` should be about half the concurrency: slow targets beyond that would fill every
/// slot for a whole timeout, wave after wave, while the fast ones wait (100k farm targets with
/// 5,000 dropped at 1,000 in flight took 14-15 s slow-first against 11 s in list order); left
/// in their list places they run beside the fast ones as before.
///
/// Results, evaluation and messages stay in list order: only the start order changes. Without
/// a previous state (first run, seed-format file without reasons) it is the list order.
std::vector<std::size_t> probe_order(std::vector<config::Target> const& targets,
                                     store::State const& previous, std::size_t max_first);

}  // namespace portwatch::driver
