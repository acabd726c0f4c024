#include "util/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace portwatch::util::log {
namespace {

/// Fixed local time zone (POSIX rule, no tzdata needed) for the whole test.
class LogFormat : public ::testing::Test {
  protected:
    void SetUp() override {
        if (char const* tz = std::getenv("TZ")) {
            saved_ = tz;
            had_ = true;
        }
        ::setenv("TZ", "KST-9", 1);
        ::tzset();
    }
    void TearDown() override {
        if (had_) {
            ::setenv("TZ", saved_.c_str(), 1);
        } else {
            ::unsetenv("TZ");
        }
        ::tzset();
    }
    /// 2026-12-04T18:10:00.123Z, i.e. 2026-12-05 03:10:00.123 in KST.
    static TimePoint when() { return from_epoch_seconds(1796407800.123); }

  private:
    std::string saved_;
    bool had_ = false;
};

TEST_F(LogFormat, SeedLinesAreUnchanged) {
    // `portwatch check`'s lines, as the seed script wrote them.
    EXPECT_EQ(format_line(Format::seed, Level::info, when(), "ok"), "2026-12-05 03:10:00.123 ok\n");
    EXPECT_EQ(format_line(Format::seed, Level::warn, when(), "w"),
              "2026-12-05 03:10:00.123 warning: w\n");
    EXPECT_EQ(format_line(Format::seed, Level::error, when(), "e"),
              "2026-12-05 03:10:00.123 error: e\n");
    EXPECT_EQ(format_line(Format::seed, Level::debug, when(), "d"),
              "2026-12-05 03:10:00.123 debug: d\n");
}

TEST_F(LogFormat, TextHasLevelAndTimeZone) {
    struct Case {
        Level level;
        char const* want;
    };
    for (auto const& c : {Case{Level::debug, "2026-12-05T03:10:00.123+09:00 DEBUG m\n"},
                          Case{Level::info, "2026-12-05T03:10:00.123+09:00 INFO m\n"},
                          Case{Level::warn, "2026-12-05T03:10:00.123+09:00 WARN m\n"},
                          Case{Level::error, "2026-12-05T03:10:00.123+09:00 ERROR m\n"}}) {
        EXPECT_EQ(format_line(Format::text, c.level, when(), "m"), c.want);
    }
    // A newline in a message cannot forge a second entry.
    EXPECT_EQ(format_line(Format::text, Level::info, when(), "a\nERROR b"),
              "2026-12-05T03:10:00.123+09:00 INFO a ERROR b\n");
}

TEST_F(LogFormat, JournalPriorities) {
    EXPECT_EQ(format_line(Format::journal, Level::debug, when(), "d"), "<7>d\n");
    EXPECT_EQ(format_line(Format::journal, Level::info, when(), "i"), "<6>i\n");
    EXPECT_EQ(format_line(Format::journal, Level::warn, when(), "w"), "<4>w\n");
    EXPECT_EQ(format_line(Format::journal, Level::error, when(), "e\nx"), "<3>e x\n");
}

TEST_F(LogFormat, JsonObjectPerLine) {
    auto const line =
        format_line(Format::json, Level::warn, when(), "reload \"x\"\n\xEC\x9E\xA5\xEC\x95\xA0",
                    {Field{.key = "config", .value = "a.yaml"},
                     Field{.key = "added", .list = {"web", "db"}, .is_list = true},
                     Field{.key = "level", .value = "forged"}});
    ASSERT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1);  // one line
    auto const j = nlohmann::json::parse(line);
    EXPECT_EQ(j.at("time"), "2026-12-05T03:10:00.123+09:00");
    EXPECT_EQ(j.at("level"), "warn");
    EXPECT_EQ(j.at("msg"), "reload \"x\"\n\xEC\x9E\xA5\xEC\x95\xA0");
    EXPECT_EQ(j.at("config"), "a.yaml");
    EXPECT_EQ(j.at("added"), nlohmann::json::array({"web", "db"}));
    // Invalid UTF-8 is replaced, never thrown.
    EXPECT_NO_THROW(nlohmann::json::parse(format_line(Format::json, Level::info, when(), "x\xff")));
}

TEST(LogParse, NamesAndFormats) {
    Level l{};
    EXPECT_TRUE(parse_level("warn", l));
    EXPECT_EQ(l, Level::warn);
    EXPECT_FALSE(parse_level("warning", l));
    Format f{};
    EXPECT_TRUE(parse_format("json", f));
    EXPECT_EQ(f, Format::json);
    EXPECT_TRUE(parse_format("journal", f));
    EXPECT_EQ(f, Format::journal);
    EXPECT_FALSE(parse_format("seed", f));
}

TEST(LogJournal, StreamMatchesStderrOnly) {
    struct stat st {};
    ASSERT_EQ(::fstat(2, &st), 0);
    auto const mine = fmt::format("{}:{}", st.st_dev, st.st_ino);
    EXPECT_TRUE(stderr_is_journal(mine.c_str()));
    EXPECT_FALSE(stderr_is_journal(nullptr));
    EXPECT_FALSE(stderr_is_journal(""));
    EXPECT_FALSE(stderr_is_journal(fmt::format("{}:{}", st.st_dev, st.st_ino + 1).c_str()));
    EXPECT_FALSE(stderr_is_journal((mine + "x").c_str()));
}

TEST(LogBoundedList, FirstNThenMore) {
    EXPECT_EQ(bounded_list({}), "");
    EXPECT_EQ(bounded_list({"a", "b"}, 3), "a, b");
    EXPECT_EQ(bounded_list({"a", "b", "c", "d", "e"}, 3), "a, b, c +2 more");
}

}  // namespace
}  // namespace portwatch::util::log
