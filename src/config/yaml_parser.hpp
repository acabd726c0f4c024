#pragma once

// The YAML reader's shared pieces (private to pw_config_yaml): the Parser that walks the tree
// and collects diagnostics, and the section readers yaml.cpp calls.

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "config/config.hpp"
#include "config/diagnostic.hpp"
#include "config/options.hpp"

namespace portwatch::config::detail {

namespace fs = std::filesystem;

/// Walks the YAML tree, collecting diagnostics that name FILE:LINE:COLUMN and the key path.
class Parser {
  public:
    explicit Parser(fs::path file) : file_(std::move(file)) {}

    void error(YAML::Node const& at, std::string const& key, std::string const& what) {
        add(Diagnostic::Severity::error, at.Mark(), key, what);
    }
    void warning(YAML::Node const& at, std::string const& key, std::string const& what) {
        add(Diagnostic::Severity::warning, at.Mark(), key, what);
    }
    void add(Diagnostic::Severity sev, YAML::Mark const& mark, std::string const& key,
             std::string const& what);

    /// Calls fn(key, value) per entry of a map; complains about keys not in `allowed`.
    template <class Fn>
    void each(YAML::Node const& map, std::string const& path,
              std::initializer_list<std::string_view> allowed, Fn fn) {
        each(map, path, allowed, fn, [&](auto const& kv, auto const& full) {
            error(kv.first, full,
                  fmt::format("unknown key (expected one of: {})", fmt::join(allowed, ", ")));
        });
    }

    /// Same, handing keys not in `allowed` to rest(key/value pair, full key).
    template <class Fn, class Rest>
    void each(YAML::Node const& map, std::string const& path,
              std::initializer_list<std::string_view> allowed, Fn fn, Rest rest) {
        if (!map.IsMap()) {
            error(map, path, "expected a mapping");
            return;
        }
        std::map<std::string, int> seen;  // key -> its first line
        for (auto const& kv : map) {
            auto const key = kv.first.Scalar();
            auto const full = path.empty() ? key : path + "." + key;
            // YAML forbids a repeated key; yaml-cpp keeps both and lookups see the first.
            if (auto const [it, fresh] = seen.emplace(key, kv.first.Mark().line + 1); !fresh) {
                error(kv.first, full, fmt::format("duplicate key (first at line {})", it->second));
                continue;
            }
            if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
                rest(kv, full);
                continue;
            }
            fn(key, kv.second, full);
        }
    }

    bool scalar(YAML::Node const& n, std::string const& key, std::string& out);

    void string(YAML::Node const& n, std::string const& key, std::string& out);

    template <class Int>
    void integer(YAML::Node const& n, std::string const& key, Int& out, long long min,
                 long long max) {
        std::string s;
        if (!scalar(n, key, s)) {
            return;
        }
        long long v = 0;
        auto const [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || ptr != s.data() + s.size() || v < min || v > max) {
            error(n, key, fmt::format("expected a whole number in {}..{}, got '{}'", min, max, s));
            return;
        }
        out = static_cast<Int>(v);
    }

    void duration(YAML::Node const& n, std::string const& key, Duration& out,
                  Duration min = Duration(0));

    void boolean(YAML::Node const& n, std::string const& key, bool& out);

    void string_map(YAML::Node const& n, std::string const& key,
                    std::map<std::string, std::string>& out);

    void command(YAML::Node const& n, std::string const& key, std::vector<std::string>& out);

    /// The threshold keys allowed both in `defaults:` and on each target.
    bool threshold_key(std::string const& key, YAML::Node const& v, std::string const& full,
                       ThresholdSpec& t);

    fs::path resolve(std::string const& p) const;

    fs::path const& file() const { return file_; }
    std::vector<Diagnostic>& diagnostics() { return diags_; }

  private:
    fs::path file_;
    std::vector<Diagnostic> diags_;
};

struct Defaults {
    Duration interval{30000};
    Duration timeout{5000};
    ThresholdSpec thresholds;
};

/// A `notify:` list as written, each name with its place, checked once every notifier is
/// known.
struct NotifyRef {
    std::string name;
    YAML::Mark mark;
    std::string key;
};

// yaml_targets.cpp

/// A target's host and port; diagnostics at `at`.
bool host_port(Parser& p, YAML::Node const& at, std::string const& key, Target& t, bool needs_port);

/// The target's kind must be in the schema, whose validator then checks its options.
KindSchema const* check_kind(Parser& p, Schema const& schema, YAML::Node const& at,
                             std::string const& key, TargetSpec& t);

/// A canary: "HOST:PORT" or {host, port}.
std::optional<Target> parse_canary(Parser& p, YAML::Node const& n, std::string const& key);

// yaml_http_notifiers.cpp

void parse_http(Parser& p, YAML::Node const& n, HttpConfig& h);

/// A notifier: the shared keys into fields, every other key into `options` as written.
void parse_notifier(Parser& p, YAML::Node const& n, std::string const& key, NotifierSpec& ns,
                    YAML::Mark& type_mark);

std::optional<std::vector<std::string>> parse_notify(Parser& p, YAML::Node const& n,
                                                     std::string const& key,
                                                     std::vector<NotifyRef>& refs);

/// After the whole file: unique names, known types and their options, known `notify:`
/// names, and targets without their own `notify:` take their group's.
void check_notifiers(Parser& p, Config& cfg, std::vector<YAML::Mark> const& type_marks,
                     std::vector<NotifyRef> const& refs, NotifierSchema const& schema);

}  // namespace portwatch::config::detail
