#include "notify/secret.hpp"

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "util/atomic_file.hpp"

namespace portwatch::notify {

namespace {

std::filesystem::path resolve(std::string const& path, std::string const& base_dir) {
    std::filesystem::path p(path);
    return p.is_relative() && !base_dir.empty() ? std::filesystem::path(base_dir) / p : p;
}

std::string trim_newline(std::string s) {
    if (!s.empty() && s.back() == '\n') {
        s.pop_back();
        if (!s.empty() && s.back() == '\r') {
            s.pop_back();
        }
    }
    return s;
}

}  // namespace

std::vector<std::string> secret_keys(std::string_view key) {
    return {std::string(key), fmt::format("{}_file", key), fmt::format("{}_env", key)};
}

void validate_secret(config::NotifierSpec const& spec, std::string_view key, bool required,
                     std::vector<config::Diagnostic>& out) {
    auto const keys = secret_keys(key);
    std::vector<std::string> given;
    for (auto const& k : keys) {
        if (spec.options.contains(k)) {
            given.push_back(k);
        }
    }
    if (given.empty()) {
        if (required) {
            out.push_back(config::option_error(
                spec, keys[0],
                fmt::format("missing (give {}, {} or {})", keys[0], keys[1], keys[2])));
        }
        return;
    }
    if (given.size() > 1) {
        out.push_back(config::option_error(
            spec, given[1], fmt::format("give only one of {}", fmt::join(given, ", "))));
        return;
    }
    auto const& o = spec.options.at(given[0]);
    if (o.list || o.values.size() != 1 || o.values[0].empty()) {
        out.push_back(config::option_error(spec, given[0], "expected one non-empty value"));
        return;
    }
    if (given[0] == keys[1]) {
        auto const dir = std::filesystem::path(spec.file).parent_path().string();
        auto const path = resolve(o.values[0], dir);
        auto const text = util::read_file(path);
        if (!text) {
            out.push_back(config::option_error(
                spec, given[0],
                fmt::format("cannot read {}: {}", path.string(), text.error().message)));
        } else if (trim_newline(*text).empty()) {
            out.push_back(
                config::option_error(spec, given[0], fmt::format("{} is empty", path.string())));
        }
    } else if (given[0] == keys[2]) {
        char const* v = std::getenv(o.values[0].c_str());
        if (v == nullptr || *v == '\0') {
            out.push_back(config::option_error(
                spec, given[0],
                fmt::format("environment variable {} is not set or empty", o.values[0])));
        }
    }
}

std::string secret_value(config::NotifierSpec const& spec, std::string_view key,
                         std::string const& base_dir) {
    auto const keys = secret_keys(key);
    if (auto const it = spec.options.find(keys[0]); it != spec.options.end()) {
        return it->second.values.empty() ? std::string() : it->second.values[0];
    }
    if (auto const it = spec.options.find(keys[1]);
        it != spec.options.end() && !it->second.values.empty()) {
        auto const dir =
            base_dir.empty() ? std::filesystem::path(spec.file).parent_path().string() : base_dir;
        auto const text = util::read_file(resolve(it->second.values[0], dir));
        return text ? trim_newline(*text) : std::string();
    }
    if (auto const it = spec.options.find(keys[2]);
        it != spec.options.end() && !it->second.values.empty()) {
        char const* v = std::getenv(it->second.values[0].c_str());
        return v != nullptr ? std::string(v) : std::string();
    }
    return {};
}

std::string option_value(config::NotifierSpec const& spec, std::string_view key,
                         std::string fallback) {
    auto const it = spec.options.find(std::string(key));
    if (it == spec.options.end() || it->second.values.empty()) {
        return fallback;
    }
    return it->second.values[0];
}

std::optional<bool> parse_bool(std::string_view s) {
    if (s == "true" || s == "yes" || s == "on") {
        return true;
    }
    if (s == "false" || s == "no" || s == "off") {
        return false;
    }
    return std::nullopt;
}

bool bool_option(config::NotifierSpec const& spec, std::string_view key, bool fallback) {
    return parse_bool(option_value(spec, key)).value_or(fallback);
}

void validate_bool_option(config::NotifierSpec const& spec, std::string_view key,
                          std::vector<config::Diagnostic>& out) {
    auto const it = spec.options.find(std::string(key));
    if (it == spec.options.end()) {
        return;
    }
    auto const& o = it->second;
    if (o.list || o.mapping || o.values.size() != 1 || !parse_bool(o.values[0])) {
        out.push_back(config::option_error(spec, std::string(key), "expected true or false"));
    }
}

}  // namespace portwatch::notify
