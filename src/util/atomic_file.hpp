#pragma once

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

/// Reads a whole file. A missing file is an error with code no_such_file_or_directory.
Result<std::string> read_file(std::filesystem::path const& path);

}  // namespace portwatch::util
