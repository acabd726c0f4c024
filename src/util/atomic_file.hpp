#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace portwatch::util {

/// Replaces path with data so that a crash at any instant leaves either the old or the new
/// file: write a temp file beside it, fsync it, rename it over path, fsync the directory.
/// The temp file keeps the mode of the file it replaces (0644 for a new file). It is made
/// without following any symlink: an O_TMPFILE linked under a random name, or (file systems
/// without O_TMPFILE) a random ".NAME.tmp-XXXXXXXXXX" made with O_EXCL | O_NOFOLLOW. Writers
/// of one path must take turns (the state lock): each removes the ".NAME.tmp*" a killed
/// writer left.
Result<void> write_file_atomically(std::filesystem::path const& path, std::string_view data);

/// The largest file read_file() takes by default: config and list files are of sane size, and
/// /dev/zero or a 10 GB file given by mistake is refused.
inline constexpr std::uint64_t default_read_limit = std::uint64_t{256} << 20;

/// Reads a whole regular file of at most `max_size` bytes (larger: EFBIG). A missing file is
/// an error with code no_such_file_or_directory.
Result<std::string> read_file(std::filesystem::path const& path,
                              std::uint64_t max_size = default_read_limit);

}  // namespace portwatch::util
