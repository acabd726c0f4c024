// What /metrics reads and does beyond the snapshot: this process's /proc figures, and gzip.
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "http/metrics.hpp"

namespace portwatch::http {
namespace {

/// The boot time (Unix seconds) from /proc/stat's btime line; 0 when unknown.
double boot_time() {
    std::ifstream in("/proc/stat");
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("btime "))
            return std::stod(line.substr(6));
    }
    return 0;
}

double count_open_fds() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr)
        return 0;
    double n = 0;
    while (auto const* e = ::readdir(dir)) {
        if (e->d_name[0] != '.')
            n += 1;
    }
    ::closedir(dir);
    return n - 1;  // the directory's own descriptor
}

}  // namespace

std::optional<ProcessStats> read_process_stats() {
    std::ifstream in("/proc/self/stat");
    std::string stat;
    if (!std::getline(in, stat))
        return std::nullopt;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses; the fields after
    // the last ')' start with field 3 (state).
    auto const close = stat.rfind(')');
    if (close == std::string::npos)
        return std::nullopt;
    std::istringstream rest(stat.substr(close + 1));
    std::vector<std::string> f;
    for (std::string x; rest >> x;)
        f.push_back(x);
    if (f.size() < 22)
        return std::nullopt;
    auto const ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    auto const page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    ProcessStats p;
    // Fields 14 utime, 15 stime, 22 starttime (ticks), 23 vsize (bytes), 24 rss (pages).
    p.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
    p.start_time_seconds = boot_time() + std::stod(f[19]) / ticks;
    p.virtual_bytes = std::stod(f[20]);
    p.resident_bytes = std::stod(f[21]) * page;
    p.open_fds = count_open_fds();
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0)
        p.max_fds = static_cast<double>(lim.rlim_cur);
    return p;
}

bool accepts_gzip(std::string_view header) {
    // "gzip, deflate, br" / "gzip;q=0.5" / "*": each coding, refused only with q=0.
    while (!header.empty()) {
        auto const comma = header.find(',');
        auto item = header.substr(0, comma);
        header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
        while (!item.empty() && item.front() == ' ')
            item.remove_prefix(1);
        auto const semi = item.find(';');
        auto coding = item.substr(0, semi);
        while (!coding.empty() && coding.back() == ' ')
            coding.remove_suffix(1);
        std::string lower(coding);
        for (auto& c : lower)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower != "gzip" && lower != "x-gzip" && lower != "*")
            continue;
        if (semi == std::string_view::npos)
            return true;
        auto params = item.substr(semi + 1);
        auto const q = params.find("q=");
        if (q == std::string_view::npos)
            return true;
        // q=0 (or 0.0, 0.000): refused.
        return std::strtod(std::string(params.substr(q + 2)).c_str(), nullptr) > 0;
    }
    return false;
}

std::string gzip(std::string_view body) {
    z_stream z{};
    // 15 + 16: a gzip wrapper, not zlib's own. Level 1: metrics text compresses about 9:1 even so,
    // at a fraction of the default level's time (bench/RESULTS.md).
    if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return {};
    std::string out(deflateBound(&z, body.size()), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
    z.avail_in = static_cast<uInt>(body.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    int const rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return rc == Z_STREAM_END ? out : std::string();
}

}  // namespace portwatch::http
