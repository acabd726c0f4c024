#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/apply_batch.hpp"
#include "store/store.hpp"
#include "util/file_lock.hpp"

namespace portwatch::store {

/// The seed-compatible state file. Its top level stays the seed's flat
/// {"HOST:PORT": "UP" | "DOWN"} (indent 4, list order), so a file written by the original
/// script loads with no spurious alert and the original can still read ours. Everything more
/// (per-target since/reason/counters and the outbox) lives under the one reserved key
/// "_portwatch", which can never clash with a "HOST:PORT" key since it has no colon.
/// Every commit rewrites the file atomically; claims live in memory (the one-instance lock,
/// PATH.lock, makes this process the only one to deliver).
class JsonStore final : public Store {
  public:
    explicit JsonStore(std::filesystem::path path) : path_(std::move(path)) {}

    /// The store of `json:PATH`, locked first when the options ask for it.
    static util::Result<std::unique_ptr<JsonStore>> open(std::filesystem::path path,
                                                         OpenOptions const& options);

    /// A missing file is an empty state. An unreadable or corrupt one is renamed to
    /// PATH.corrupt-YYYYMMDD-HHMMSS and an empty state is returned with a warning.
    util::Result<Loaded> load() override;
    /// Reads the file, applies the batch, and writes the file again.
    util::Result<void> commit(Batch const& batch) override;
    /// Writes `state` as the whole file (no read first).
    util::Result<void> commit(State const& state) override;
    util::Result<std::vector<OutboxEntry>> claim(std::string const& owner, std::size_t limit,
                                                 std::chrono::milliseconds lease,
                                                 util::TimePoint now) override;
    /// Locks PATH.lock (as the seed-compatible `check` always did).
    util::Result<void> lock(std::chrono::milliseconds wait) override;
    std::string describe() const override { return path_.string(); }

    /// The file's bytes for a state (pure; exposed for tests).
    static std::string serialize(State const& state);
    /// Parses file content; an error names what is wrong.
    static util::Result<Loaded> parse(std::string const& text);
    /// The reader parse() falls back to for files off the common shape (outbox entries,
    /// values to warn about, bad JSON): it gives the same result for every input (exposed
    /// so that tests and the fuzzer can check that).
    static util::Result<Loaded> parse_full(std::string const& text);

    static constexpr char const* reserved_key = "_portwatch";
    /// The state file has no size limit (see load()).
    static constexpr std::uint64_t no_read_limit = ~std::uint64_t{0};

  private:
    /// parse() for load(): never holds the text and its parsed document at once. An error
    /// with a code is a failed read, not a verdict on the content.
    util::Result<Loaded> parse_file(std::string text) const;

    std::filesystem::path path_;
    std::optional<util::FileLock> lock_;
    std::function<bool(std::string_view)> keep_key_;  ///< OpenOptions::keep_key
    /// The outbox as last loaded or committed (what claim() picks from).
    std::optional<std::vector<OutboxEntry>> outbox_;
    Claims claims_;
};

}  // namespace portwatch::store
