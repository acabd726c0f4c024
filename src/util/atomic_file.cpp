#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

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

void fault_point(std::string_view name) {
    static char const* const fault = std::getenv("PORTWATCH_FAULT");
    if (fault != nullptr && name == fault) {
        ::kill(::getpid(), SIGKILL);
    }
}

Result<void> write_file_atomically(fs::path const& path, std::string_view data) {
    fs::path const dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    // One fixed name, not one per process: a writer killed before its rename leaves at most
    // this one file, removed by the next write (per-pid names piled up, one per crash).
    fs::path const tmp = dir / ("." + path.filename().string() + ".tmp");
    mode_t mode = 0644;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            return errno_error("cannot write " + path.string() + ": it is a directory", EISDIR);
        }
        mode = st.st_mode & 07777;
    }
    ::unlink(tmp.c_str());  // a crashed writer's, with whatever mode it had
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (fd.get() < 0) {
        return errno_error("cannot create " + tmp.string(), errno);
    }
    auto cleanup = [&] { ::unlink(tmp.c_str()); };
    if (auto r = write_all(fd.get(), data, tmp); !r) {
        cleanup();
        return r;
    }
    if (::fsync(fd.get()) != 0) {
        int const err = errno;
        cleanup();
        return errno_error("cannot fsync " + tmp.string(), err);
    }
    if (::close(fd.release()) != 0) {
        int const err = errno;
        cleanup();
        return errno_error("cannot close " + tmp.string(), err);
    }
    fault_point("before-rename");
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int const err = errno;
        cleanup();
        return errno_error("cannot rename " + tmp.string() + " to " + path.string(), err);
    }
    fault_point("before-dirsync");
    Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.get() < 0 || ::fsync(dfd.get()) != 0) {
        return errno_error("cannot fsync directory " + dir.string(), errno);
    }
    return {};
}

Result<std::string> read_file(fs::path const& path) {
    // O_NONBLOCK: a FIFO in the way must not hang the run (no effect on regular files).
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0) {
        return errno_error("cannot open " + path.string(), errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode)) {
        return errno_error("cannot read " + path.string() + ": it is a directory", EISDIR);
    }
    // Config and state are regular files of sane size: /dev/zero or a 10 GB file is a mistake.
    constexpr off_t max_size = off_t{256} << 20;
    if (!S_ISREG(st.st_mode)) {
        return errno_error("cannot read " + path.string() + ": not a regular file", EINVAL);
    }
    if (st.st_size > max_size) {
        return errno_error("cannot read " + path.string() + ": larger than 256 MiB", EFBIG);
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
        if (out.size() > static_cast<std::size_t>(max_size)) {
            return errno_error("cannot read " + path.string() + ": larger than 256 MiB", EFBIG);
        }
    }
    return out;
}

}  // namespace portwatch::util
