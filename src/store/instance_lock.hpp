#pragma once

#include <chrono>
#include <filesystem>

#include "util/file_lock.hpp"
#include "util/result.hpp"

namespace portwatch::store {

/// PATH.lock, the lock file of the store at `store_path`.
std::filesystem::path instance_lock_file(std::filesystem::path const& store_path);

/// The one-instance lock of a file-backed store: PATH.lock beside it (the name `check` and
/// `run` always used). A timeout is StoreError::locked (equal to std::errc::timed_out), with
/// the lock's message naming the file and the wait.
util::Result<util::FileLock> lock_instance(std::filesystem::path const& store_path,
                                           std::chrono::milliseconds wait);

}  // namespace portwatch::store
