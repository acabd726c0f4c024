#pragma once

#include <concepts>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.hpp"
#include "config/target.hpp"

namespace portwatch::config {

/// Problems found while reading a config, in file order.
using Diagnostics = std::vector<Diagnostic>;

struct Option;

/// One value of a kind's option, as written: a scalar, a list or a mapping, with where it
/// starts (1-based line and column; 0 when unknown).
struct OptionNode {
    enum class Type { null, scalar, list, map };
    Type type = Type::null;
    std::string scalar;
    std::vector<OptionNode> items;  ///< list elements
    std::vector<Option> entries;    ///< mapping entries, in file order
    int line = 0;
    int column = 0;

    bool operator==(OptionNode const&) const = default;
};

/// One `key: value` of a mapping, with where its key stands.
struct Option {
    std::string key;
    OptionNode value;
    int line = 0;
    int column = 0;

    bool operator==(Option const&) const = default;
};

/// The keys of a target that are not core target keys: its kind's options, for that kind to
/// validate. Each carries FILE:LINE:COLUMN, so the kind's diagnostics point at the key.
struct OptionBag {
    std::string file;
    std::string path;             ///< the target's key path in diagnostics, e.g. "targets[3]"
    std::vector<Option> entries;  ///< in file order

    /// The entry named `key`, or nullptr.
    Option const* find(std::string_view key) const;
    bool empty() const { return entries.empty(); }

    /// Adds an error at `at` ("FILE:LINE:COLUMN: PATH.KEY: what").
    void error(Diagnostics& out, Option const& at, std::string_view what) const;
    /// Adds an error at a value inside an option; `key` is its path below the bag ("a.b[2]").
    void error(Diagnostics& out, OptionNode const& at, std::string_view key,
               std::string_view what) const;

    bool operator==(OptionBag const&) const = default;
};

/// Validates the options of one kind, adding errors for unknown keys and bad values.
using KindValidator = std::function<void(OptionBag const&, Diagnostics&)>;

/// Fills what a kind derives from its options into the target, after they validated: http
/// takes host, port and endpoint from its `url`.
using TargetCompleter = std::function<void(OptionBag const&, Target&)>;

/// What the config reader knows of one probe kind.
struct KindSchema {
    KindSchema() = default;
    template <class F>
    requires std::constructible_from<KindValidator, F> KindSchema(F validator)
        : validate(std::move(validator)) {}  // NOLINT: implicit on purpose
    KindSchema(KindValidator v, TargetCompleter c, bool port)
        : validate(std::move(v)), complete(std::move(c)), needs_port(port) {}

    KindValidator validate;    ///< empty: the kind takes no options
    TargetCompleter complete;  ///< empty: nothing derived
    bool needs_port = true;    ///< false: `port:` is optional (icmp)
};

/// The probe kinds a config may name, each with its option validator. Supplied by the caller
/// (the CLI builds it from the probe registry): config knows no kind itself.
struct Schema {
    std::map<std::string, KindSchema, std::less<>> kinds;

    /// Knows "tcp" only, which takes no options.
    Schema();
    explicit Schema(std::map<std::string, KindSchema, std::less<>> k) : kinds(std::move(k)) {}
};

/// A validator for a kind with no options: every key is an error.
void reject_all_options(OptionBag const& bag, Diagnostics& out);

}  // namespace portwatch::config
