// The YAML reader's entry points: parse_config and load_config, which walk the top-level sections.

#include "config/yaml.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "config/lst.hpp"
#include "config/yaml_options.hpp"
#include "config/yaml_parser.hpp"
#include "util/atomic_file.hpp"

namespace portwatch::config {

namespace fs = std::filesystem;
using detail::check_kind;
using detail::check_notifiers;
using detail::Defaults;
using detail::host_port;
using detail::NotifyRef;
using detail::parse_canary;
using detail::parse_http;
using detail::parse_notifier;
using detail::parse_notify;
using detail::Parser;

bool ConfigFile::has_errors() const {
    return std::any_of(diagnostics.begin(), diagnostics.end(), [](Diagnostic const& d) {
        return d.severity == Diagnostic::Severity::error;
    });
}

bool is_yaml_path(fs::path const& path) {
    auto const ext = path.extension();
    return ext == ".yaml" || ext == ".yml";
}

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
        // Nothing but blanks and comments: it would run no target without a word.
        YAML::Mark start;
        p.add(Diagnostic::Severity::error, start, "",
              "the config is empty (expected targets:, include: or other keys)");
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
         "connectivity", "http", "concurrency", "log_level", "log_format", "shutdown_grace"},
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
                    auto const to_bag = [&](auto const& kv, auto const& full) {
                        if (auto const problem = add_option(t.options, kv.first, kv.second)) {
                            p.add(Diagnostic::Severity::error, problem->mark, full,
                                  problem->message);
                        }
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
                    KindSchema const* kind = nullptr;
                    if (n.IsMap()) {
                        kind = check_kind(p, schema, kind_node ? kind_node : n, key, t);
                    }
                    ok = p.diagnostics().size() == before && n.IsMap() &&
                         host_port(p, n, key, t.target, kind == nullptr || kind->needs_port);
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
                    cfg.includes.push_back(p.resolve(path));
                    auto list = load_list(cfg.includes.back());
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
            } else if (k == "log_format") {
                p.string(v, f, cfg.log_format);
                if (cfg.log_format != "text" && cfg.log_format != "journal" &&
                    cfg.log_format != "json") {
                    p.error(v, f, "expected text, journal or json");
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
