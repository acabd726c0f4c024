// The YAML reader's http: and notifiers: sections, and the notify: lists that name notifiers.

#include "config/yaml_parser.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <set>

namespace portwatch::config::detail {

namespace {

/// Why `path` cannot be opened for reading ("No such file or directory"); empty when it can.
std::string unreadable(std::string const& path) {
    int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return std::strerror(errno);
    }
    ::close(fd);
    return {};
}

/// "sha256:" and 64 hex digits, or a crypt(3) hash of a known method: "$ID$...$HASH" with
/// ID y, gy, 7 (yescrypt, scrypt), 2a/2b/2y (bcrypt), 5, 6 (sha256/512crypt).
bool is_password_hash(std::string_view h) {
    if (h.starts_with("sha256:")) {
        auto const hex = h.substr(7);
        return hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
                   return std::isxdigit(static_cast<unsigned char>(c)) != 0;
               });
    }
    static constexpr std::string_view ids[] = {"$y$",  "$gy$", "$7$", "$2a$",
                                               "$2b$", "$2y$", "$5$", "$6$"};
    bool const known = std::any_of(std::begin(ids), std::end(ids),
                                   [&](std::string_view id) { return h.starts_with(id); });
    auto const last = h.rfind('$');
    return known && std::count(h.begin(), h.end(), '$') >= 3 && last + 1 < h.size();
}

}  // namespace

void parse_http(Parser& p, YAML::Node const& n, HttpConfig& h) {
    p.each(
        n, "http", {"listen", "tls", "auth", "limits", "title", "metrics", "public_status"},
        [&](auto const& k, auto const& v, auto const& f) {
            if (k == "public_status") {
                p.boolean(v, f, h.public_status);
            } else if (k == "listen") {
                p.string(v, f, h.listen);
                if (h.listen.rfind(':') == std::string::npos) {
                    p.error(v, f, "expected HOST:PORT");
                }
            } else if (k == "title") {
                p.string(v, f, h.title);
            } else if (k == "tls") {
                p.each(v, f, {"cert", "key"}, [&](auto const& k2, auto const& v2, auto const& f2) {
                    auto& path = k2 == "cert" ? h.tls_cert : h.tls_key;
                    p.string(v2, f2, path);
                    if (!path.empty()) {
                        // Beside the config when relative; unreadable is an error now, not
                        // OpenSSL's "asio.ssl error" at start.
                        path = p.resolve(path).string();
                        if (auto const why = unreadable(path); !why.empty()) {
                            p.error(v2, f2, "cannot read " + path + ": " + why);
                        }
                    }
                });
                if (h.tls_cert.empty() != h.tls_key.empty()) {
                    p.error(v, f, "needs both cert and key");
                }
            } else if (k == "metrics") {
                p.each(v, f, {"per_target_histograms"},
                       [&](auto const&, auto const& v2, auto const& f2) {
                           p.boolean(v2, f2, h.per_target_histograms);
                       });
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
                                      if (k3 == "hash" && !h.basic_hash.empty() &&
                                          !is_password_hash(h.basic_hash)) {
                                          p.error(v3, f3,
                                                  "not a password hash: expected crypt(3) "
                                                  "($y$..., $2b$..., $6$...) or sha256:HEX "
                                                  "(mkpasswd -m yescrypt)");
                                      }
                                  });
                           if (h.basic_user.empty() || h.basic_hash.empty()) {
                               p.error(v2, f2, "needs both user and hash");
                           }
                       });
            } else {
                p.each(v, f,
                       {"max_connections", "max_connections_per_address", "request_timeout",
                        "header_timeout", "max_request_bytes"},
                       [&](auto const& k2, auto const& v2, auto const& f2) {
                           if (k2 == "max_connections") {
                               p.integer(v2, f2, h.max_connections, 1, 100000);
                           } else if (k2 == "max_connections_per_address") {
                               p.integer(v2, f2, h.max_connections_per_address, 1, 100000);
                           } else if (k2 == "header_timeout") {
                               p.duration(v2, f2, h.header_timeout, Duration(1));
                           } else if (k2 == "request_timeout") {
                               p.duration(v2, f2, h.request_timeout, Duration(1));
                           } else {
                               p.integer(v2, f2, h.max_request_bytes, 256, 1 << 30);
                           }
                       });
            }
        });
}

/// `group: off`, or `group: {window: 10s, after: 3, max_lines: 20}`.
void parse_group(Parser& p, YAML::Node const& v, std::string const& f, GroupSpec& g) {
    g.set = true;
    if (v.IsScalar() && (v.Scalar() == "off" || v.Scalar() == "false")) {
        g.window = Duration(0);
        return;
    }
    p.each(v, f, {"window", "after", "max_lines"},
           [&](auto const& k, auto const& v2, auto const& f2) {
               if (k == "window") {
                   p.duration(v2, f2, g.window, Duration(0));
               } else if (k == "after") {
                   p.integer(v2, f2, g.after, 0, 1000);
               } else {
                   p.integer(v2, f2, g.max_lines, 1, 1000);
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
        } else if (k == "group") {
            parse_group(p, v, f, ns.group);
            ns.group.line = kv.first.Mark().line + 1;
            ns.group.column = kv.first.Mark().column + 1;
        } else if (k == "templates") {
            p.each(v, f,
                   {"down", "up", "down_bare", "up_bare", "reminder", "reminder_bare",
                    "cert_expiring", "cert_expiring_bare", "cert_renewed", "cert_renewed_bare"},
                   [&](auto const& k2, auto const& v2, auto const& f2) {
                       p.string(v2, f2, ns.templates[k2]);
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
            } else if (v.IsMap()) {
                o.mapping = true;
                for (auto const& e : v) {
                    std::string s;
                    if (p.scalar(e.second, f + "." + e.first.Scalar(), s)) {
                        o.entries[e.first.Scalar()] = std::move(s);
                    }
                }
            } else {
                p.error(v, f, "expected a value, a list or a mapping of values");
                continue;
            }
            ns.options[k] = std::move(o);
        }
    }
    if (ns.name.empty()) {
        ns.name = ns.type;
    }
}

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

}  // namespace portwatch::config::detail
