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

}  // namespace portwatch::driver
