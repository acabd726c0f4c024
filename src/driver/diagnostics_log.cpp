#include "driver/diagnostics_log.hpp"

#include <map>
#include <string>

#include "util/log.hpp"

namespace portwatch::driver {

namespace log = util::log;

void log_diagnostics(std::vector<config::Diagnostic> const& diagnostics, std::size_t shown) {
    std::map<std::string, std::size_t> hidden;  // file -> problems not shown
    for (std::size_t i = 0; i < diagnostics.size(); ++i) {
        auto const& d = diagnostics[i];
        if (i >= shown) {
            ++hidden[d.file];
            continue;
        }
        log::write(d.severity == config::Diagnostic::Severity::error ? log::Level::error
                                                                     : log::Level::warn,
                   d.to_string());
    }
    for (auto const& [file, count] : hidden) {
        log::warn("{}: {} more problem(s) not shown; `portwatch validate` lists them all", file,
                  count);
    }
}

void log_config_applied(std::string const& file, std::string const& store, TargetTable const& table,
                        TableDiff const& diff,
                        std::map<std::string, std::string> const& names_before) {
    auto const names = [&](std::vector<std::size_t> const& slots) {
        std::vector<std::string> out;
        for (auto const slot : slots) {
            out.push_back(table[slot].spec.name);
        }
        return out;
    };
    auto const added = names(diff.added);
    auto const changed = names(diff.changed);
    std::vector<std::string> removed;
    for (auto const& key : diff.removed) {
        auto const it = names_before.find(key);
        removed.push_back(it == names_before.end() ? key : it->second);
    }
    std::string listed;
    auto const list = [&](char const* what, std::vector<std::string> const& v) {
        if (!v.empty()) {
            listed += fmt::format("; {}: {}", what, log::bounded_list(v, target_names_shown));
        }
    };
    list("added", added);
    list("removed", removed);
    list("changed", changed);
    if (!log::enabled(log::Level::info)) {
        return;
    }
    log::write(log::Level::info,
               fmt::format("config {}: {} target(s): {} added ({} back within the grace), {} "
                           "removed, {} changed; store {}{}",
                           file, table.view_order().size(), diff.added.size(), diff.restored.size(),
                           diff.removed.size(), diff.changed.size(), store, listed),
               {log::Field{.key = "config", .value = file},
                log::Field{.key = "added", .list = added, .is_list = true},
                log::Field{.key = "removed", .list = removed, .is_list = true},
                log::Field{.key = "changed", .list = changed, .is_list = true}});
}

}  // namespace portwatch::driver
