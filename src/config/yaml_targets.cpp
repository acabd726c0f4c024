// The YAML reader's target checks (host and port, kind and options) and connectivity canaries.

#include "config/yaml_parser.hpp"

#include "config/lst.hpp"

namespace portwatch::config::detail {

namespace {

/// A name's labels are 1..63 bytes and the whole at most 253 (RFC 1035/1123; one trailing dot
/// allowed): "bad..name" or ".x" would fail every check with a DNS error. IP literals pass.
std::string check_host_name(std::string_view host) {
    if (host.find(':') != std::string_view::npos || host.starts_with('[')) {
        return {};  // IPv6
    }
    auto name = host;
    if (name.ends_with('.')) {
        name.remove_suffix(1);
    }
    if (name.size() > 253) {
        return fmt::format("host name '{}' is longer than 253 characters", host);
    }
    for (std::size_t start = 0; start <= name.size();) {
        auto const end = std::min(name.find('.', start), name.size());
        auto const label = end - start;
        if (label == 0) {
            return fmt::format("bad host name '{}': empty label", host);
        }
        if (label > 63) {
            return fmt::format("bad host name '{}': a label is longer than 63 characters", host);
        }
        start = end + 1;
    }
    return {};
}

}  // namespace

/// A target's host and port; diagnostics at `at`.
bool host_port(Parser& p, YAML::Node const& at, std::string const& key, Target& t,
               bool needs_port) {
    if (t.host.empty()) {
        p.error(at, key, "missing host");
        return false;
    }
    if (auto const why = check_host(t.host); !why.empty()) {
        p.error(at, key + ".host", why);
        return false;
    }
    if (auto const why = check_host_name(t.host); !why.empty()) {
        p.error(at, key + ".host", why);
        return false;
    }
    if (t.port == 0 && needs_port) {
        p.error(at, key, "missing port");
        return false;
    }
    return true;
}

/// The target's kind must be in the schema, whose validator then checks its options (and,
/// when they hold, derives what the kind takes from them). Null when the kind is unknown.
KindSchema const* check_kind(Parser& p, Schema const& schema, YAML::Node const& at,
                             std::string const& key, TargetSpec& t) {
    auto const it = schema.kinds.find(t.target.kind);
    if (it == schema.kinds.end()) {
        std::vector<std::string_view> known;
        for (auto const& [name, validate] : schema.kinds) {
            known.push_back(name);
        }
        p.error(
            at, key + ".kind",
            fmt::format("unknown kind '{}' (known: {})", t.target.kind, fmt::join(known, ", ")));
        return nullptr;
    }
    auto const before = p.diagnostics().size();
    if (it->second.validate) {
        it->second.validate(t.options, p.diagnostics());
    } else {
        reject_all_options(t.options, p.diagnostics());
    }
    if (it->second.complete && p.diagnostics().size() == before) {
        it->second.complete(t.options, t.target);
    }
    return &it->second;
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
    if (!host_port(p, n, key, t, true)) {
        return std::nullopt;
    }
    return t;
}

}  // namespace portwatch::config::detail
