// Issue 17 item 10: the SQLite store on a 2 MB filesystem. Every commit rewrites the same 200
// target states, so the database stays small and only the WAL grows; the automatic
// checkpoint waits for 4 MiB of WAL, more than the filesystem holds. Before the fix the WAL
// filled the disk within about a hundred commits and every commit failed from then on.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "reliability/reliability_support.hpp"
#include "store/sqlite.hpp"

namespace portwatch::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(SqliteFull, ASmallFilesystemDoesNotWedgeTheStore) {
    Tmpfs small("2M");
    if (!small.ok()) {
        GTEST_SKIP() << small.error();
    }
    auto const db = small.path() / "portwatch.db";
    auto opened = store::SqliteStore::open(db);
    ASSERT_TRUE(opened) << opened.error().message;
    auto& s = **opened;
    constexpr int targets = 200;
    constexpr int commits = 400;
    int failed = 0;
    std::string first_error;
    for (int round = 0; round < commits; ++round) {
        store::Batch b;
        for (int t = 0; t < targets; ++t) {
            eval::TargetState st;
            st.status = (round + t) % 2 == 0 ? eval::Status::up : eval::Status::down;
            st.reason = std::string(40, static_cast<char>('a' + round % 26));
            st.consecutive_failures = round;
            st.last_check = util::TimePoint(std::chrono::seconds(1'800'000'000 + round));
            b.states.emplace_back("host-" + std::to_string(t) + ":80", st);
        }
        if (auto r = s.commit(b); !r) {
            if (failed++ == 0) {
                first_error = r.error().message;
            }
        }
    }
    EXPECT_EQ(failed, 0) << "[issue 17 item 10] " << failed << " of " << commits
                         << " commits failed; the first: " << first_error;
    auto loaded = s.load();
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_EQ(loaded->state.targets.size(), static_cast<std::size_t>(targets));
    EXPECT_EQ(loaded->state.targets[0].second.consecutive_failures, commits - 1)
        << "the last commit is not what the store holds";
}

}  // namespace
}  // namespace portwatch::test
