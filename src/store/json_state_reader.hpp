#pragma once

// Internal to the JSON store: the bulk of a state file (the top-level statuses and the
// _portwatch.targets entries), read straight into these structs: simdjson parses the file
// (its DOM is a flat tape, no JSON value per target), and a handler takes the values in file
// order as SAX events.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "eval/evaluator.hpp"
#include "store/store.hpp"

namespace portwatch::store::detail {

/// One top-level "KEY": value, in file order. `status` is empty when the value is not
/// "UP"/"DOWN" (the full reader keeps such values for their warning).
struct TopEntry {
    std::string key;
    std::optional<eval::Status> status;
};

/// What _portwatch.targets holds for one key.
struct Extra {
    std::string status;
    eval::TargetState fields;
};

struct StateBulk {
    std::vector<TopEntry> top;  ///< a repeated key keeps its first place and its last value
    std::unordered_map<std::string, Extra> extras;
    bool has_section = false;  ///< "_portwatch" is an object (only then extras count)
};

/// A text field as a file gives it: the plain string, or its "<name>_hex" spelling (how
/// bytes that are not UTF-8 are saved). The plain one wins; bad hex gives "".
struct SavedText {
    std::optional<std::string> plain;  ///< set when the value was a string
    std::optional<std::string> hex;    ///< the "<name>_hex" spelling, when a string

    std::string value() const;
};

/// A number from a file, clamped to [lo, hi]: a file edited by hand may hold any (casting one
/// out of range is undefined behaviour).
template <typename Int>
Int clamp_number(double v, Int lo, Int hi) {
    return v <= lo ? lo : v >= hi ? hi : static_cast<Int>(v);
}

/// The bound of the saved counters (failures, successes, delivery attempts).
constexpr int max_count = 1 << 30;
/// The bound of a saved certificate time (Unix seconds; year 9999).
constexpr std::int64_t max_cert_time = 253402300799;

/// The flap window's bits (TargetState::recent_failures) as saved: lowercase hex, exact for
/// all 64 bits (a JSON number read as a double is not).
std::string recent_text(std::uint64_t bits);
/// 0 for text that is not 1-16 hex digits.
std::uint64_t recent_from_text(std::string const& text);

/// One _portwatch.targets entry's fields as read, before they are checked and clamped.
struct EntryFields {
    // A repeated field: the last one wins, as in a DOM.
    SavedText status;
    SavedText reason;
    std::optional<double> since, failures, successes, last_check, last_alert;  ///< numbers
    std::optional<double> cert_warned, cert_warned_at;
    std::optional<std::string> recent;  ///< set when a string

    /// Takes the scalar value of field `name`: `number` for a number, `text` (moved from)
    /// for a string, neither for true, false or null. Unknown fields count for nothing.
    void set(std::string_view name, std::optional<double> number, std::string* text);
    Extra to_extra() const;
};

/// The common shape, fast: a top-level object of "UP"/"DOWN" strings and a _portwatch
/// object whose targets are objects of scalars and whose outbox is empty. Anything else
/// (an outbox entry, a value that needs a warning, invalid JSON, an unexpected nesting)
/// gives nullopt, and the caller uses the full reader, which handles every case. Where both
/// accept a file they give the same state (tests/store and the state fuzzer check this).
/// The text is taken by value and freed as soon as simdjson has parsed it (the parsed
/// document holds its own copy of every string): at 100,000 targets the 30 MB text, the
/// document and the state being built would otherwise be resident together.
std::optional<StateBulk> read_state_fast(std::string text);

/// The state file in the exact layout portwatch writes (JsonStore::serialize) or the seed
/// script's (one `    "KEY": "UP",` per line, nothing under _portwatch but an empty outbox),
/// read from `path` line by line: the file's text is never held whole, and the state is built
/// in place (each key stored once). Every _portwatch.targets entry is parsed by simdjson
/// as the JSON object it is. Anything else (another layout, an outbox entry, a key with an
/// escape, a read error) gives nullopt, and the caller reads the file whole with the readers
/// above, which take every file; where both take one they give the same state (tests/store).
/// At 100,000 targets this keeps the load's peak at the state itself (bench/RESULTS.md).
/// With `keep`, only keys it accepts are kept (the others cost nothing).
std::optional<Loaded> read_state_lines(std::filesystem::path const& path,
                                       std::function<bool(std::string_view)> const& keep = {});

}  // namespace portwatch::store::detail
