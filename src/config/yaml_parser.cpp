// The YAML reader's value helpers: parse_duration and the Parser's readers of single values.

#include "config/yaml_parser.hpp"

#include <cctype>
#include <cmath>

#include "config/yaml.hpp"
#include "util/shell_words.hpp"

namespace portwatch::config {

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

namespace detail {

void Parser::add(Diagnostic::Severity sev, YAML::Mark const& mark, std::string const& key,
                 std::string const& what) {
    diags_.push_back(Diagnostic{.severity = sev,
                                .file = file_.string(),
                                .line = mark.is_null() ? 0 : mark.line + 1,
                                .message = key.empty() ? what : fmt::format("{}: {}", key, what),
                                .column = mark.is_null() ? 0 : mark.column + 1});
}

bool Parser::scalar(YAML::Node const& n, std::string const& key, std::string& out) {
    if (!n.IsScalar()) {
        error(n, key, "expected a single value");
        return false;
    }
    out = n.Scalar();
    return true;
}

void Parser::string(YAML::Node const& n, std::string const& key, std::string& out) {
    scalar(n, key, out);
}

void Parser::duration(YAML::Node const& n, std::string const& key, Duration& out, Duration min) {
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

void Parser::boolean(YAML::Node const& n, std::string const& key, bool& out) {
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

void Parser::string_map(YAML::Node const& n, std::string const& key,
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

void Parser::command(YAML::Node const& n, std::string const& key, std::vector<std::string>& out) {
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

bool Parser::threshold_key(std::string const& key, YAML::Node const& v, std::string const& full,
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

fs::path Parser::resolve(std::string const& p) const {
    fs::path const path(p);
    return path.is_absolute() ? path : file_.parent_path() / path;
}

}  // namespace detail

}  // namespace portwatch::config
