#pragma once

#include <chrono>
#include <filesystem>

#include "util/result.hpp"

namespace portwatch::util {

/// An exclusive flock(2) on a lock file, held for the object's lifetime. The descriptor is
/// close-on-exec, so notifier processes never inherit (and never prolong) the lock. The file
/// is opened with O_NOFOLLOW: a symlink at its name is an error (ELOOP), never followed.
class FileLock {
  public:
    /// Waits at most `wait` for the lock; an error says who holds the file when it times out.
    static Result<FileLock> acquire(std::filesystem::path const& path,
                                    std::chrono::milliseconds wait);

    FileLock(FileLock&& other) noexcept;
    FileLock& operator=(FileLock&& other) noexcept;
    FileLock(FileLock const&) = delete;
    FileLock& operator=(FileLock const&) = delete;
    ~FileLock();

  private:
    explicit FileLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

}  // namespace portwatch::util
