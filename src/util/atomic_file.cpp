#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>

#include <fmt/format.h>

#include "util/fault_point.hpp"

namespace portwatch::util {

namespace fs = std::filesystem;

namespace {

class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd const&) = delete;
    Fd& operator=(Fd const&) = delete;
    ~Fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

  private:
    int fd_;
};

Result<void> write_all(int fd, std::string_view data, fs::path const& path) {
    while (!data.empty()) {
        ssize_t const n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno_error("cannot write " + path.string(), errno);
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

}  // namespace

namespace {

/// A name no one can guess: the suffix of a temp file (never reused, so never a planted link).
std::string random_suffix() {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::uint64_t bits = 0;
    if (::getrandom(&bits, sizeof bits, 0) != static_cast<ssize_t>(sizeof bits)) {
        bits = std::random_device{}() ^ (std::uint64_t{std::random_device{}()} << 32);
    }
    std::string out;
    for (int i = 0; i < 10; ++i) {
        out += alphabet[bits % (sizeof alphabet - 1)];
        bits /= sizeof alphabet - 1;
    }
    return out;
}

/// Writes and fsyncs.
Result<void> write_and_sync(int fd, std::string_view data, fs::path const& what) {
    if (auto r = write_all(fd, data, what); !r) {
        return r;
    }
    if (::fsync(fd) != 0) {
        return errno_error("cannot fsync " + what.string(), errno);
    }
    return {};
}

/// Removes what killed writers left (their temp names start with `prefix`). unlink() never
/// follows a symlink: a planted one is removed, never its target.
void remove_stale_temps(fs::path const& dir, std::string const& prefix) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        auto const name = it->path().filename().string();
        if (name.rfind(prefix, 0) == 0) {
            ::unlink(it->path().c_str());
        }
    }
}

/// The written temp file, under a fresh name in `dir`: an O_TMPFILE (unnamed until linked,
/// so a crash before the link leaves nothing) where the file system has it, else a new file
/// made with O_EXCL | O_NOFOLLOW. Neither can open a file planted there beforehand.
Result<fs::path> write_temp(fs::path const& dir, std::string const& prefix, mode_t mode,
                            std::string_view data) {
    Fd anon(::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode));
    if (anon.get() >= 0) {
        if (auto r = write_and_sync(anon.get(), data, dir / prefix); !r) {
            return r.error();
        }
        auto const proc = "/proc/self/fd/" + std::to_string(anon.get());
        for (int i = 0; i < 16; ++i) {
            fs::path const tmp = dir / (prefix + random_suffix());
            if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, tmp.c_str(), AT_SYMLINK_FOLLOW) == 0) {
                return tmp;
            }
            if (errno != EEXIST) {
                break;  // no /proc: a named temp file below
            }
        }
    } else if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
        return errno_error("cannot create a temporary file in " + dir.string(), errno);
    }
    for (int i = 0;; ++i) {
        fs::path const tmp = dir / (prefix + random_suffix());
        Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
        if (fd.get() < 0) {
            if (errno == EEXIST && i < 16) {
                continue;
            }
            return errno_error("cannot create " + tmp.string(), errno);
        }
        if (auto r = write_and_sync(fd.get(), data, tmp); !r) {
            ::unlink(tmp.c_str());
            return r.error();
        }
        if (::close(fd.release()) != 0) {
            int const err = errno;
            ::unlink(tmp.c_str());
            return errno_error("cannot close " + tmp.string(), err);
        }
        return tmp;
    }
}

}  // namespace

Result<void> write_file_atomically(fs::path const& path, std::string_view data) {
    fs::path const dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    mode_t mode = 0644;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            return errno_error("cannot write " + path.string() + ": it is a directory", EISDIR);
        }
        mode = st.st_mode & 07777;
    }
    // Writers of one path take turns (the state lock), so a temp file of this name that
    // exists now was left by a killed writer (or planted).
    std::string const prefix = "." + path.filename().string() + ".tmp";
    remove_stale_temps(dir, prefix);
    auto tmp = write_temp(dir, prefix + "-", mode, data);
    if (!tmp) {
        return tmp.error();
    }
    fault_point("before-rename");
    // rename() replaces the directory entry: a symlink at `path` is replaced, not followed.
    if (::rename(tmp->c_str(), path.c_str()) != 0) {
        int const err = errno;
        ::unlink(tmp->c_str());
        return errno_error("cannot rename " + tmp->string() + " to " + path.string(), err);
    }
    fault_point("before-dirsync");
    Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.get() < 0 || ::fsync(dfd.get()) != 0) {
        return errno_error("cannot fsync directory " + dir.string(), errno);
    }
    return {};
}

Result<std::string> read_file(fs::path const& path, std::uint64_t max_size) {
    // O_NONBLOCK: a FIFO in the way must not hang the run (no effect on regular files).
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0) {
        return errno_error("cannot open " + path.string(), errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode)) {
        return errno_error("cannot read " + path.string() + ": it is a directory", EISDIR);
    }
    if (!S_ISREG(st.st_mode)) {
        return errno_error("cannot read " + path.string() + ": not a regular file", EINVAL);
    }
    if (static_cast<std::uint64_t>(st.st_size) > max_size) {
        return errno_error(
            fmt::format("cannot read {}: larger than {} MiB", path.string(), max_size >> 20),
            EFBIG);
    }
    std::string out;
    // The whole file in one allocation, with room for the 64 bytes of padding a SIMD parser
    // reads past the end (simdjson then parses the string in place instead of copying it).
    out.reserve(static_cast<std::size_t>(st.st_size) + 64);
    char buf[65536];
    for (;;) {
        ssize_t const n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno_error("cannot read " + path.string(), errno);
        }
        if (n == 0) {
            break;
        }
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > max_size) {  // it grew while being read
            return errno_error(
                fmt::format("cannot read {}: larger than {} MiB", path.string(), max_size >> 20),
                EFBIG);
        }
    }
    return out;
}

}  // namespace portwatch::util
