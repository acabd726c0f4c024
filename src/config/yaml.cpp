#include "config/yaml.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "config/lst.hpp"
#include "config/yaml_options.hpp"
#include "util/atomic_file.hpp"
#include "util/shell_words.hpp"

namespace portwatch::config {

namespace fs = std::filesystem;

bool ConfigFile::has_errors() const {
    return std::any_of(diagnostics.begin(), diagnostics.end(), [](Diagnostic const& d) {
        return d.severity == Diagnostic::Severity::error;
    });
}

bool is_yaml_path(fs::path const& path) {
    auto const ext = path.extension();
    return ext == ".yaml" || ext == ".yml";
}

std::optional<Duration> parse_duration(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    std::size_t digits = 0;
    while (digits < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.')) {
        ++digits;
    }
    if (digits == 0) {
        return std::nullopt;
    }
    double value = 0;
    auto const [ptr, ec] = std::from_chars(text.data(), text.data() + digits, value);
    if (ec != std::errc() || ptr != text.data() + digits || !std::isfinite(value)) {
        return std::nullopt;
    }
    auto const unit = text.substr(digits);
    double ms_per_unit = 0;
    if (unit.empty() || unit == "s") {
        ms_per_unit = 1000;
    } else if (unit == "ms") {
        ms_per_unit = 1;
    } else if (unit == "m") {
        ms_per_unit = 60'000;
    } else if (unit == "h") {
        ms_per_unit = 3'600'000;
    } else if (unit == "d") {
        ms_per_unit = 86'400'000;
    } else {
        return std::nullopt;
    }
    double const ms = value * ms_per_unit;
    if (ms > 1e13) {
        return std::nullopt;
    }
    return Duration(static_cast<Duration::rep>(std::llround(ms)));
}

namespace {

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
             std::string const& what) {
        diags_.push_back(
            Diagnostic{.severity = sev,
                       .file = file_.string(),
                       .line = mark.is_null() ? 0 : mark.line + 1,
                       .message = key.empty() ? what : fmt::format("{}: {}", key, what),
                       .column = mark.is_null() ? 0 : mark.column + 1});
    }

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
        for (auto const& kv : map) {
            auto const key = kv.first.Scalar();
            auto const full = path.empty() ? key : path + "." + key;
            if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
                rest(kv, full);
                continue;
            }
            fn(key, kv.second, full);
        }
    }

    bool scalar(YAML::Node const& n, std::string const& key, std::string& out) {
        if (!n.IsScalar()) {
            error(n, key, "expected a single value");
            return false;
        }
        out = n.Scalar();
        return true;
    }

    void string(YAML::Node const& n, std::string const& key, std::string& out) {
        scalar(n, key, out);
    }

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
                  Duration min = Duration(0)) {
        std::string s;
        if (!scalar(n, key, s)) {
            return;
        }
        auto const d = parse_duration(s);
        if (!d) {
            error(n, key, fmt::format("expected a duration like 30s, 5m, 1h, 250ms; got '{}'", s));
        } else if (*d < min) {
            error(n, key, fmt::format("must be at least {} ms", min.count()));
        } else {
            out = *d;
        }
    }

    void boolean(YAML::Node const& n, std::string const& key, bool& out) {
        std::string s;
        if (!scalar(n, key, s)) {
            return;
        }
        if (s == "true" || s == "yes" || s == "on") {
            out = true;
        } else if (s == "false" || s == "no" || s == "off") {
            out = false;
        } else {
            error(n, key, fmt::format("expected true or false, got '{}'", s));
        }
    }

    void string_map(YAML::Node const& n, std::string const& key,
                    std::map<std::string, std::string>& out) {
        if (!n.IsMap()) {
            error(n, key, "expected a mapping of names to values");
            return;
        }
        for (auto const& kv : n) {
            std::string v;
            if (scalar(kv.second, key + "." + kv.first.Scalar(), v)) {
                out[kv.first.Scalar()] = v;
            }
        }
    }

    void command(YAML::Node const& n, std::string const& key, std::vector<std::string>& out) {
        if (n.IsSequence()) {
            out.clear();
            for (std::size_t i = 0; i < n.size(); ++i) {
                std::string s;
                if (scalar(n[i], fmt::format("{}[{}]", key, i), s)) {
                    out.push_back(s);
                }
            }
        } else if (n.IsScalar()) {
            auto words = util::split_command(n.Scalar());
            if (!words) {
                error(n, key, words.error().message);
                return;
            }
            out = std::move(*words);
        } else {
            error(n, key, "expected a command string or a list of arguments");
            return;
        }
        if (out.empty()) {
            error(n, key, "empty command");
        }
    }

    /// The threshold keys allowed both in `defaults:` and on each target.
    bool threshold_key(std::string const& key, YAML::Node const& v, std::string const& full,
                       ThresholdSpec& t) {
        if (key == "failure_threshold") {
            integer(v, full, t.failure, 1, 1000);
        } else if (key == "success_threshold") {
            integer(v, full, t.success, 1, 1000);
        } else if (key == "flap") {
            each(v, full, {"failures", "window"}, [&](auto const& k, auto const& x, auto const& f) {
                if (k == "failures") {
                    integer(x, f, t.flap_failures, 1, 64);
                } else {
                    integer(x, f, t.flap_window, 1, 64);
                }
            });
            if (t.flap_failures > t.flap_window) {
                error(v, full, "failures must not exceed window");
            } else if (t.flap_failures == 0 || t.flap_window == 0) {
                error(v, full, "needs both failures and window");
            }
        } else if (key == "remind_every") {
            duration(v, full, t.remind_every);
        } else if (key == "notify_first_up") {
            boolean(v, full, t.notify_first_up);
        } else {
            return false;
        }
        return true;
    }

    fs::path resolve(std::string const& p) const {
        fs::path const path(p);
        return path.is_absolute() ? path : file_.parent_path() / path;
    }

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

/// A target's host and port; diagnostics at `at`.
bool host_port(Parser& p, YAML::Node const& at, std::string const& key, Target& t) {
    if (t.host.empty()) {
        p.error(at, key, "missing host");
        return false;
    }
    if (auto const why = check_host(t.host); !why.empty()) {
        p.error(at, key + ".host", why);
        return false;
    }
    if (t.port == 0) {
        p.error(at, key, "missing port");
        return false;
    }
    return true;
}

/// The target's kind must be in the schema, whose validator then checks its options.
void check_kind(Parser& p, Schema const& schema, YAML::Node const& at, std::string const& key,
                TargetSpec const& t) {
    auto const it = schema.kinds.find(t.target.kind);
    if (it == schema.kinds.end()) {
        std::vector<std::string_view> known;
        for (auto const& [name, validate] : schema.kinds) {
            known.push_back(name);
        }
        p.error(
            at, key + ".kind",
            fmt::format("unknown kind '{}' (known: {})", t.target.kind, fmt::join(known, ", ")));
        return;
    }
    if (it->second) {
        it->second(t.options, p.diagnostics());
    } else {
        reject_all_options(t.options, p.diagnostics());
    }
}

/// A canary: "HOST:PORT" or {host, port}.
std::optional<Target> parse_canary(Parser& p, YAML::Node const& n, std::string const& key) {
    Target t{.file = p.file().string(), .line = n.Mark().line + 1};
    if (n.IsScalar()) {
        auto const& s = n.Scalar();
        auto const colon = s.rfind(':');
        if (colon == std::string::npos) {
            p.error(n, key, "expected HOST:PORT");
            return std::nullopt;
        }
        t.host = s.substr(0, colon);
        unsigned port = 0;
        auto const ps = std::string_view(s).substr(colon + 1);
        auto const [ptr, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), port);
        if (ec != std::errc() || ptr != ps.data() + ps.size() || port < 1 || port > 65535) {
            p.error(n, key, fmt::format("bad port in '{}'", s));
            return std::nullopt;
        }
        t.port = static_cast<std::uint16_t>(port);
    } else {
        p.each(n, key, {"host", "port", "description"},
               [&](auto const& k, auto const& v, auto const& f) {
                   if (k == "host") {
                       p.string(v, f, t.host);
                   } else if (k == "port") {
                       p.integer(v, f, t.port, 1, 65535);
                   } else {
                       p.string(v, f, t.description);
                   }
               });
    }
    if (!host_port(p, n, key, t)) {
        return std::nullopt;
    }
    return t;
}

void parse_http(Parser& p, YAML::Node const& n, HttpConfig& h) {
    p.each(
        n, "http", {"listen", "tls", "auth", "limits"},
        [&](auto const& k, auto const& v, auto const& f) {
            if (k == "listen") {
                p.string(v, f, h.listen);
                if (h.listen.rfind(':') == std::string::npos) {
                    p.error(v, f, "expected HOST:PORT");
                }
            } else if (k == "tls") {
                p.each(v, f, {"cert", "key"}, [&](auto const& k2, auto const& v2, auto const& f2) {
                    p.string(v2, f2, k2 == "cert" ? h.tls_cert : h.tls_key);
                });
                if (h.tls_cert.empty() != h.tls_key.empty()) {
                    p.error(v, f, "needs both cert and key");
                }
            } else if (k == "auth") {
                p.each(v, f, {"basic", "bearer_token"},
                       [&](auto const& k2, auto const& v2, auto const& f2) {
                           if (k2 == "bearer_token") {
                               p.string(v2, f2, h.bearer_token);
                               return;
                           }
                           p.each(v2, f2, {"user", "hash"},
                                  [&](auto const& k3, auto const& v3, auto const& f3) {
                                      p.string(v3, f3, k3 == "user" ? h.basic_user : h.basic_hash);
                                  });
                           if (h.basic_user.empty() || h.basic_hash.empty()) {
                               p.error(v2, f2, "needs both user and hash");
                           }
                       });
            } else {
                p.each(v, f, {"max_connections", "request_timeout", "max_request_bytes"},
                       [&](auto const& k2, auto const& v2, auto const& f2) {
                           if (k2 == "max_connections") {
                               p.integer(v2, f2, h.max_connections, 1, 100000);
                           } else if (k2 == "request_timeout") {
                               p.duration(v2, f2, h.request_timeout, Duration(1));
                           } else {
                               p.integer(v2, f2, h.max_request_bytes, 256, 1 << 30);
                           }
                       });
            }
        });
}

/// A notifier: the shared keys into fields, every other key into `options` as written.
void parse_notifier(Parser& p, YAML::Node const& n, std::string const& key, NotifierSpec& ns,
                    YAML::Mark& type_mark) {
    type_mark = n.Mark();
    if (!n.IsMap()) {
        p.error(n, key, "expected a mapping");
        return;
    }
    for (auto const& kv : n) {
        auto const k = kv.first.Scalar();
        auto const& v = kv.second;
        auto const f = key + "." + k;
        if (k == "name") {
            p.string(v, f, ns.name);
        } else if (k == "type") {
            p.string(v, f, ns.type);
            type_mark = v.Mark();
        } else if (k == "timeout") {
            p.duration(v, f, ns.timeout, Duration(10));
        } else if (k == "concurrency") {
            p.integer(v, f, ns.concurrency, 1, 256);
        } else if (k == "max_age") {
            Duration d{};
            p.duration(v, f, d);
            ns.max_age = std::chrono::duration_cast<std::chrono::seconds>(d);
        } else if (k == "templates") {
            p.each(v, f, {"down", "up", "down_bare", "up_bare", "reminder", "reminder_bare"},
                   [&](auto const& k2, auto const& v2, auto const& f2) {
                       std::string* const slot = k2 == "down"        ? &ns.down
                                                 : k2 == "up"        ? &ns.up
                                                 : k2 == "down_bare" ? &ns.down_bare
                                                 : k2 == "up_bare"   ? &ns.up_bare
                                                 : k2 == "reminder"  ? &ns.reminder
                                                                     : &ns.reminder_bare;
                       p.string(v2, f2, *slot);
                   });
        } else {
            NotifierOption o{.line = kv.first.Mark().line + 1,
                             .column = kv.first.Mark().column + 1};
            if (v.IsScalar()) {
                o.values.push_back(v.Scalar());
            } else if (v.IsSequence()) {
                o.list = true;
                for (std::size_t i = 0; i < v.size(); ++i) {
                    std::string s;
                    if (p.scalar(v[i], fmt::format("{}[{}]", f, i), s)) {
                        o.values.push_back(std::move(s));
                    }
                }
            } else {
                p.error(v, f, "expected a value or a list of values");
                continue;
            }
            ns.options[k] = std::move(o);
        }
    }
    if (ns.name.empty()) {
        ns.name = ns.type;
    }
}

/// A `notify:` list as written, each name with its place, checked once every notifier is
/// known.
struct NotifyRef {
    std::string name;
    YAML::Mark mark;
    std::string key;
};

std::optional<std::vector<std::string>> parse_notify(Parser& p, YAML::Node const& n,
                                                     std::string const& key,
                                                     std::vector<NotifyRef>& refs) {
    if (!n.IsSequence()) {
        p.error(n, key, "expected a list of notifier names");
        return std::nullopt;
    }
    std::vector<std::string> names;
    for (std::size_t i = 0; i < n.size(); ++i) {
        std::string s;
        auto const k = fmt::format("{}[{}]", key, i);
        if (p.scalar(n[i], k, s)) {
            refs.push_back(NotifyRef{s, n[i].Mark(), k});
            names.push_back(std::move(s));
        }
    }
    return names;
}

/// After the whole file: unique names, known types and their options, known `notify:`
/// names, and targets without their own `notify:` take their group's.
void check_notifiers(Parser& p, Config& cfg, std::vector<YAML::Mark> const& type_marks,
                     std::vector<NotifyRef> const& refs, NotifierSchema const& schema) {
    std::set<std::string> names;
    for (std::size_t i = 0; i < cfg.notifiers.size(); ++i) {
        auto const& ns = cfg.notifiers[i];
        auto const where = fmt::format("notifiers.{}", ns.name);
        YAML::Mark mark;
        mark.line = ns.line - 1;
        mark.column = ns.column - 1;
        if (!names.insert(ns.name).second) {
            p.add(Diagnostic::Severity::error, mark, where,
                  fmt::format("duplicate notifier name '{}' (give each one a distinct name:)",
                              ns.name));
        }
        if (schema.empty()) {
            continue;  // the caller checks no types (only targets wanted)
        }
        auto const type = schema.find(ns.type);
        if (type == schema.end()) {
            std::vector<std::string> known;
            for (auto const& [name, validate] : schema) {
                known.push_back(name);
            }
            p.add(Diagnostic::Severity::error, type_marks[i], where + ".type",
                  fmt::format("unknown notifier type '{}' (known: {})", ns.type,
                              fmt::join(known, ", ")));
            continue;
        }
        type->second(ns, p.diagnostics());
    }
    for (auto const& r : refs) {
        if (!names.count(r.name)) {
            p.add(Diagnostic::Severity::error, r.mark, r.key,
                  names.empty()
                      ? fmt::format("unknown notifier '{}' (no notifiers: declared)", r.name)
                      : fmt::format("unknown notifier '{}' (declared: {})", r.name,
                                    fmt::join(names, ", ")));
        }
    }
    for (auto& t : cfg.targets) {
        if (t.notify) {
            continue;
        }
        if (auto const g = cfg.group_notify.find(t.group); g != cfg.group_notify.end()) {
            t.notify = g->second;
        }
    }
}

}  // namespace

ConfigFile parse_config(std::string_view text, fs::path const& file, Schema const& schema,
                        NotifierSchema const& notifiers) {
    ConfigFile out;
    Config& cfg = out.config;
    cfg.file = file;
    Parser p(file);
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (YAML::Exception const& e) {
        p.add(Diagnostic::Severity::error, e.mark, "", e.msg);
        out.diagnostics = std::move(p.diagnostics());
        return out;
    }
    if (root.IsNull()) {
        root = YAML::Node(YAML::NodeType::Map);
    }

    std::vector<NotifyRef> notify_refs;
    std::vector<YAML::Mark> type_marks;  ///< per notifier: its `type:` value (or itself)

    // First pass: defaults, since targets and includes use them whatever the key order.
    Defaults defaults;
    if (root.IsMap() && root["defaults"]) {
        p.each(root["defaults"], "defaults",
               {"interval", "timeout", "failure_threshold", "success_threshold", "flap",
                "remind_every", "notify_first_up"},
               [&](auto const& k, auto const& v, auto const& f) {
                   if (k == "interval") {
                       p.duration(v, f, defaults.interval, Duration(100));
                   } else if (k == "timeout") {
                       p.duration(v, f, defaults.timeout, Duration(1));
                   } else {
                       p.threshold_key(k, v, f, defaults.thresholds);
                   }
               });
    }

    std::set<std::string> names;
    std::map<std::string, std::string> keys;  // HOST:PORT -> where first defined
    auto add_target = [&](TargetSpec t, YAML::Node const& at, std::string const& key) {
        if (t.name.empty()) {
            t.name = t.target.key();
        }
        auto const where = fmt::format("{}:{}", t.target.file, t.target.line);
        if (auto [it, fresh] = keys.emplace(t.target.key(), where); !fresh) {
            p.warning(at, key,
                      fmt::format("{} is already checked (defined at {}); checked once",
                                  t.target.key(), it->second));
            return;
        }
        if (!names.insert(t.name).second) {
            p.error(at, key, fmt::format("duplicate target name '{}'", t.name));
            return;
        }
        if (t.timeout > t.interval) {
            p.warning(at, key, "timeout is longer than interval; a slow check skips a turn");
        }
        cfg.targets.push_back(std::move(t));
    };
    auto target_spec = [&](Target target) {
        return TargetSpec{.target = std::move(target),
                          .interval = defaults.interval,
                          .timeout = defaults.timeout,
                          .thresholds = defaults.thresholds};
    };

    p.each(
        root, "",
        {"defaults", "targets", "include", "notifiers", "groups", "store", "retention",
         "connectivity", "http", "concurrency", "log_level", "shutdown_grace"},
        [&](auto const& k, auto const& v, auto const& f) {
            if (k == "defaults") {
                return;  // done above
            }
            if (k == "targets") {
                if (!v.IsSequence()) {
                    p.error(v, f, "expected a list of targets");
                    return;
                }
                for (std::size_t i = 0; i < v.size(); ++i) {
                    auto const& n = v[i];
                    auto const key = fmt::format("targets[{}]", i);
                    TargetSpec t =
                        target_spec(Target{.file = file.string(), .line = n.Mark().line + 1});
                    bool ok = true;
                    auto const before = p.diagnostics().size();
                    std::initializer_list<std::string_view> const allowed = {"name",
                                                                             "host",
                                                                             "port",
                                                                             "description",
                                                                             "interval",
                                                                             "timeout",
                                                                             "labels",
                                                                             "group",
                                                                             "failure_threshold",
                                                                             "success_threshold",
                                                                             "flap",
                                                                             "remind_every",
                                                                             "notify_first_up",
                                                                             "notify",
                                                                             "kind"};
                    t.options.file = file.string();
                    t.options.path = key;
                    YAML::Node kind_node;
                    auto const to_bag = [&](auto const& kv, auto const&) {
                        add_option(t.options, kv.first, kv.second);
                    };
                    p.each(
                        n, key, allowed,
                        [&](auto const& k2, auto const& v2, auto const& f2) {
                            if (k2 == "kind") {
                                p.string(v2, f2, t.target.kind);
                                kind_node = v2;
                            } else if (k2 == "name") {
                                p.string(v2, f2, t.name);
                            } else if (k2 == "host") {
                                p.string(v2, f2, t.target.host);
                            } else if (k2 == "port") {
                                p.integer(v2, f2, t.target.port, 1, 65535);
                            } else if (k2 == "description") {
                                p.string(v2, f2, t.target.description);
                            } else if (k2 == "interval") {
                                p.duration(v2, f2, t.interval, Duration(100));
                            } else if (k2 == "timeout") {
                                p.duration(v2, f2, t.timeout, Duration(1));
                            } else if (k2 == "labels") {
                                p.string_map(v2, f2, t.labels);
                            } else if (k2 == "group") {
                                p.string(v2, f2, t.group);
                            } else if (k2 == "notify") {
                                t.notify = parse_notify(p, v2, f2, notify_refs);
                            } else {
                                p.threshold_key(k2, v2, f2, t.thresholds);
                            }
                        },
                        to_bag);
                    if (n.IsMap()) {
                        check_kind(p, schema, kind_node ? kind_node : n, key, t);
                    }
                    ok = p.diagnostics().size() == before && n.IsMap() &&
                         host_port(p, n, key, t.target);
                    if (ok) {
                        add_target(std::move(t), n, key);
                    }
                }
            } else if (k == "include") {
                if (!v.IsSequence()) {
                    p.error(v, f, "expected a list of .lst files");
                    return;
                }
                for (std::size_t i = 0; i < v.size(); ++i) {
                    auto const& n = v[i];
                    auto const key = fmt::format("include[{}]", i);
                    std::string path;
                    std::string group;
                    std::map<std::string, std::string> labels;
                    Duration interval = defaults.interval;
                    Duration timeout = defaults.timeout;
                    std::optional<std::vector<std::string>> notify;
                    if (n.IsScalar()) {
                        path = n.Scalar();
                    } else {
                        p.each(n, key, {"file", "group", "labels", "interval", "timeout", "notify"},
                               [&](auto const& k2, auto const& v2, auto const& f2) {
                                   if (k2 == "notify") {
                                       notify = parse_notify(p, v2, f2, notify_refs);
                                   } else if (k2 == "file") {
                                       p.string(v2, f2, path);
                                   } else if (k2 == "group") {
                                       p.string(v2, f2, group);
                                   } else if (k2 == "labels") {
                                       p.string_map(v2, f2, labels);
                                   } else if (k2 == "interval") {
                                       p.duration(v2, f2, interval, Duration(100));
                                   } else {
                                       p.duration(v2, f2, timeout, Duration(1));
                                   }
                               });
                    }
                    if (path.empty()) {
                        p.error(n, key, "missing file");
                        continue;
                    }
                    auto list = load_list(p.resolve(path));
                    if (!list) {
                        p.error(n, key,
                                fmt::format("{}: {}", list.error().message,
                                            list.error().code.message()));
                        continue;
                    }
                    for (auto const& d : list->diagnostics) {
                        p.diagnostics().push_back(d);
                    }
                    for (auto& target : list->targets) {
                        TargetSpec t = target_spec(std::move(target));
                        t.interval = interval;
                        t.timeout = timeout;
                        t.group = group;
                        t.labels = labels;
                        t.notify = notify;
                        add_target(std::move(t), n, key);
                    }
                }
            } else if (k == "notifiers") {
                if (!v.IsSequence()) {
                    p.error(v, f, "expected a list of notifiers");
                    return;
                }
                for (std::size_t i = 0; i < v.size(); ++i) {
                    NotifierSpec ns{.file = file.string(),
                                    .line = v[i].Mark().line + 1,
                                    .column = v[i].Mark().column + 1};
                    parse_notifier(p, v[i], fmt::format("notifiers[{}]", i), ns,
                                   type_marks.emplace_back());
                    cfg.notifiers.push_back(std::move(ns));
                }
            } else if (k == "groups") {
                if (!v.IsMap()) {
                    p.error(v, f, "expected a mapping of group names");
                    return;
                }
                for (auto const& g : v) {
                    auto const name = g.first.Scalar();
                    auto& slot = cfg.group_notify[name];
                    p.each(g.second, f + "." + name, {"notify"},
                           [&](auto const&, auto const& v2, auto const& f2) {
                               slot = parse_notify(p, v2, f2, notify_refs);
                           });
                }
            } else if (k == "store") {
                p.string(v, f, cfg.store);
            } else if (k == "retention") {
                Duration d{};
                p.duration(v, f, d, Duration(60000));
                cfg.retention = std::chrono::duration_cast<std::chrono::seconds>(d);
            } else if (k == "connectivity") {
                auto& c = cfg.connectivity;
                p.each(
                    v, f, {"canaries", "interval", "timeout"},
                    [&](auto const& k2, auto const& v2, auto const& f2) {
                        if (k2 == "interval") {
                            p.duration(v2, f2, c.interval, Duration(100));
                        } else if (k2 == "timeout") {
                            p.duration(v2, f2, c.timeout, Duration(1));
                        } else if (!v2.IsSequence()) {
                            p.error(v2, f2, "expected a list of HOST:PORT");
                        } else {
                            for (std::size_t i = 0; i < v2.size(); ++i) {
                                if (auto t = parse_canary(p, v2[i], fmt::format("{}[{}]", f2, i))) {
                                    c.canaries.push_back(std::move(*t));
                                }
                            }
                        }
                    });
            } else if (k == "http") {
                cfg.http.emplace();
                parse_http(p, v, *cfg.http);
            } else if (k == "concurrency") {
                p.integer(v, f, cfg.concurrency, 1, 1000000);
            } else if (k == "log_level") {
                p.string(v, f, cfg.log_level);
                if (cfg.log_level != "debug" && cfg.log_level != "info" &&
                    cfg.log_level != "warn" && cfg.log_level != "error") {
                    p.error(v, f, "expected debug, info, warn or error");
                }
            } else if (k == "shutdown_grace") {
                p.duration(v, f, cfg.shutdown_grace);
            }
        });

    check_notifiers(p, cfg, type_marks, notify_refs, notifiers);

    // The store: by URL, relative paths beside the config.
    if (cfg.store.empty()) {
        cfg.store = "sqlite:" + (file.parent_path() / file.stem()).string() + ".db";
    } else {
        auto const colon = cfg.store.find(':');
        auto const scheme = cfg.store.substr(0, colon == std::string::npos ? 0 : colon);
        if (scheme != "sqlite" && scheme != "json") {
            p.error(root["store"], "store",
                    fmt::format("expected sqlite:PATH or json:PATH, got '{}'", cfg.store));
        } else {
            auto const rest = cfg.store.substr(colon + 1);
            cfg.store = scheme + ":" + p.resolve(rest).string();
        }
    }
    out.diagnostics = std::move(p.diagnostics());
    return out;
}

util::Result<ConfigFile> load_config(fs::path const& path, Schema const& schema,
                                     NotifierSchema const& notifiers) {
    auto text = util::read_file(path);
    if (!text) {
        return text.error();
    }
    return parse_config(*text, path, schema, notifiers);
}

}  // namespace portwatch::config
