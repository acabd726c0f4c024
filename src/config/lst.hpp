#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.hpp"
#include "config/target.hpp"
#include "util/result.hpp"

namespace portwatch::config {

/// What a list file yields: the good targets (first occurrence of each HOST:PORT, in file
/// order) and every problem found; a bad line never hides the good ones.
struct ListFile {
    std::vector<Target> targets;
    std::vector<Diagnostic> diagnostics;

    bool has_errors() const;
};

/// Parses the seed's `port_check.lst` syntax. `file` names the source in diagnostics.
ListFile parse_list(std::string_view text, std::string const& file);

/// Why `host` is not acceptable (a name, an IPv4 literal, or an IPv6 literal with or
/// without brackets); empty when it is.
std::string check_host(std::string_view host);

/// Reads and parses a list file; an error only when the file cannot be read.
util::Result<ListFile> load_list(std::filesystem::path const& path);

}  // namespace portwatch::config
