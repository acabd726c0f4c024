#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace portwatch::util {

/// Splits an operator's command line into argv the way sh would tokenize it (spaces, 'single'
/// and "double" quotes, backslash escapes) WITHOUT any expansion: no variables, globs or
/// substitutions, and no shell is ever run. An error for an unterminated quote.
Result<std::vector<std::string>> split_command(std::string_view line);

}  // namespace portwatch::util
