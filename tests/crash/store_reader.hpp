#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
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
    std::string integrity;                   ///< `PRAGMA integrity_check`, "ok" when sound
    std::vector<TransitionRow> transitions;  ///< by id
    std::set<std::string> outbox_ids;        ///< pending events
    /// pending entries as (event id, destination)
    std::set<std::pair<std::string, std::string>> outbox_entries;
    std::map<std::string, std::string> statuses;  ///< target_state: key -> UP | DOWN | UNKNOWN
};

/// Reads the store at `db`; nullopt when it does not exist yet; `error` says why it failed.
std::optional<StoreView> read_store(std::filesystem::path const& db, std::string& error);

/// Makes every outbox entry of the store at `db` due now (next_attempt = 0), as the passing of
/// its backoff would; only while no daemon runs. Returns "" or why it failed.
std::string make_outbox_due(std::filesystem::path const& db);

}  // namespace portwatch::test
