#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace portwatch::test {

/// One row of the daemon's `transitions` table.
struct TransitionRow {
    std::int64_t id = 0;
    std::string key, from, to;
    std::int64_t time_us = 0;
    bool operator==(TransitionRow const&) const = default;
};

/// What a black-box reader sees in the daemon's SQLite store (read through the sqlite3 C API,
/// read-only, so it may run beside the daemon).
struct StoreView {
    std::string integrity;                        ///< `PRAGMA integrity_check`, "ok" when sound
    std::vector<TransitionRow> transitions;       ///< by id
    std::set<std::string> outbox_ids;             ///< pending events
    std::map<std::string, std::string> statuses;  ///< target_state: key -> UP | DOWN | UNKNOWN
};

/// Reads the store at `db`; nullopt when it does not exist yet; `error` says why it failed.
std::optional<StoreView> read_store(std::filesystem::path const& db, std::string& error);

}  // namespace portwatch::test
