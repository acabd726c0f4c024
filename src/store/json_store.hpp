#pragma once

#include <filesystem>
#include <string>

#include "store/store.hpp"

namespace portwatch::store {

/// The seed-compatible state file. Its top level stays the seed's flat
/// {"HOST:PORT": "UP" | "DOWN"} (indent 4, list order), so a file written by the original
/// script loads with no spurious alert and the original can still read ours. Everything more
/// (per-target since/reason/counters and the outbox) lives under the one reserved key
/// "_portwatch", which can never clash with a "HOST:PORT" key since it has no colon.
class JsonStore final : public Store {
  public:
    explicit JsonStore(std::filesystem::path path) : path_(std::move(path)) {}

    /// A missing file is an empty state. An unreadable or corrupt one is renamed to
    /// PATH.corrupt-YYYYMMDD-HHMMSS and an empty state is returned with a warning.
    util::Result<Loaded> load() override;
    util::Result<void> commit(State const& state) override;
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

  private:
    /// parse() for load(): never holds the text and its parsed document at once. An error
    /// with a code is a failed read, not a verdict on the content.
    util::Result<Loaded> parse_file(std::string text) const;

    std::filesystem::path path_;
};

}  // namespace portwatch::store
