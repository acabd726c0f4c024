// Issue 17 item 2: portwatch never writes through a symlink someone planted in the state
// directory, neither the lock file nor the temp file of the atomic write.
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "reliability/reliability_support.hpp"

namespace portwatch::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read_all(fs::path const& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

TEST(Symlink, LockFileSymlinkIsNotFollowed) {
    SeedDir dir;
    TempDir outside;
    dir.list(fmt::format("127.0.0.1 {} Svc\n", closed_port()));
    fs::create_symlink(outside / "created-through-the-lock", dir / "port_check_status.json.lock");
    auto const r = dir.check();
    // [issue 17 item 2] the lock is opened through the symlink and creates its target.
    EXPECT_FALSE(fs::exists(outside / "created-through-the-lock"))
        << "[issue 17 item 2] the lock file followed a symlink out of the state directory\n"
        << r.err;
}

TEST(Symlink, TempFileRacerNeverGetsTheStateWritten) {
    SeedDir dir;
    TempDir outside;
    auto const victim = outside.write("victim", "precious\n");
    dir.list(fmt::format("127.0.0.1 {} Svc\n127.0.0.1 {} Other\n", closed_port(), closed_port()));
    auto const tmp = dir / ".port_check_status.json.tmp";
    std::atomic<bool> stop{false};
    // The racer plants the symlink again as soon as portwatch removes it.
    std::thread racer([&] {
        while (!stop) {
            ::symlink(victim.c_str(), tmp.c_str());
        }
    });
    // Each run starts without a state, so that it writes the state more than once (the
    // transitions with their events, then the progress after delivering them).
    int runs = 0;
    while (runs < 40 && read_all(victim) == "precious\n") {
        ++runs;
        fs::remove(dir / "port_check_status.json");
        auto const r = dir.check({"--notify-cmd", "/bin/true"}, {.timeout = 30s});
        if (r.timed_out) {
            break;
        }
    }
    stop = true;
    racer.join();
    EXPECT_TRUE(read_all(victim) == "precious\n")
        << "[issue 17 item 2] the racer had the state written over a file outside the state "
           "directory after "
        << runs << " run(s)";
    EXPECT_TRUE(fs::is_regular_file(victim));
}

}  // namespace
}  // namespace portwatch::test
