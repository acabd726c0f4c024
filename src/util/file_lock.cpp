#include "util/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

namespace portwatch::util {

Result<FileLock> FileLock::acquire(std::filesystem::path const& path,
                                   std::chrono::milliseconds wait) {
    // O_NOFOLLOW: a symlink planted at the lock's name is refused, and its target is neither
    // created nor opened.
    int const fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        int const err = errno;
        return errno_error("cannot open lock file " + path.string() + ": " + std::strerror(err),
                           err);
    }
    auto const deadline = std::chrono::steady_clock::now() + wait;
    auto pause = std::chrono::milliseconds(5);
    // Bounded by the deadline; the pause grows to 200 ms so a long wait costs little CPU.
    for (;;) {
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
            return FileLock(fd);
        }
        int const err = errno;
        if (err != EWOULDBLOCK && err != EINTR) {
            ::close(fd);
            return errno_error("cannot lock " + path.string() + ": " + std::strerror(err), err);
        }
        auto const now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            ::close(fd);
            return errno_error("another portwatch run holds " + path.string() + " (waited " +
                                   std::to_string(wait.count() / 1000.0).substr(0, 5) + " s)",
                               ETIMEDOUT);
        }
        std::this_thread::sleep_for(
            std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
        pause = std::min(pause * 2, std::chrono::milliseconds(200));
    }
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

FileLock::~FileLock() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

}  // namespace portwatch::util
