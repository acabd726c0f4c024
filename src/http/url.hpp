#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace portwatch::http {

/// Decodes %XX escapes (and '+' as a space when `plus_is_space`, as in a query string).
/// A malformed escape is kept as it is.
std::string percent_decode(std::string_view s, bool plus_is_space = false);

/// Escapes every byte outside the URL-unreserved set (A-Z a-z 0-9 - . _ ~).
std::string percent_encode(std::string_view s);

/// A request target split into its decoded path segments and query parameters
/// ("/a/b%20c?x=1&y" -> {"a", "b c"}, {x: "1", y: ""}); a repeated parameter keeps its last value.
struct Url {
    std::string path;  ///< raw path, before '?'
    std::vector<std::string> segments;
    std::map<std::string, std::string> query;
};
Url parse_url(std::string_view target);

}  // namespace portwatch::http
