#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "crash/store_reader.hpp"

namespace portwatch::test {

/// One line of calls.log: what the notifier got, and its parent (the daemon that ran it).
struct DeliveryCall {
    std::string id, event, key, ppid, message;
};

/// One daemon's life: its pid, how the harness ended it, whether SIGKILL did.
struct DaemonLife {
    std::string pid;
    std::string mode;
    bool killed = false;
};

/// Everything the daemon crash harness recorded, black-box.
struct OracleInput {
    std::vector<DeliveryCall> calls;                    ///< in delivery order
    std::vector<DaemonLife> lives;                      ///< in order
    std::vector<TransitionRow> transitions;             ///< the store's, at the end
    std::set<std::string> outbox_ids;                   ///< every event the outbox ever held
    std::map<std::string, std::string> final_statuses;  ///< target_state at the end
    std::function<std::string(std::string const&)> description;  ///< key -> description
};

/// What the oracle found.
struct OracleVerdict {
    std::vector<std::string> failures;
    std::size_t duplicates = 0;
    std::size_t announced = 0;                     ///< transitions that must be announced
    std::vector<std::size_t> duplicates_per_kill;  ///< for each killed life, in order
};

/// Reads calls.log (tab-separated: id, event, key, ppid, message).
std::vector<DeliveryCall> read_calls(std::filesystem::path const& path);

/// Judges the run: per target the notifier got exactly the announced transitions, in order,
/// byte for byte; every outbox event delivered; the last message matches the final state;
/// a repeat only after the kill of the daemon that first sent it, at most one per kill.
OracleVerdict judge(OracleInput const& in);

}  // namespace portwatch::test
