#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace portwatch::util {

/// True when s is well-formed UTF-8.
bool is_valid_utf8(std::string_view s);

/// Splits on whitespace exactly as Python's str.split() does with no argument (ASCII
/// whitespace, \x1c-\x1f, and the Unicode spaces such as U+3000), so descriptions written for
/// the seed script are joined the same way. Invalid UTF-8 bytes are kept as data.
std::vector<std::string_view> split_python_whitespace(std::string_view s);

/// Python's str.strip() with no argument, on the same whitespace set.
std::string_view strip_python_whitespace(std::string_view s);

/// Lower-case hex of the bytes, and back (for bytes that JSON cannot carry as text).
std::string to_hex(std::string_view bytes);
bool from_hex(std::string_view hex, std::string& out);

}  // namespace portwatch::util
