#include "util/shell_words.hpp"

#include <gtest/gtest.h>

namespace portwatch::util {
namespace {

TEST(SplitCommand, WordsAndQuotesWithoutExpansion) {
    auto const r = split_command(R"(python3 '/a b/push.py' "x \"y\"" $HOME `id` a\ b)");
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, (std::vector<std::string>{"python3", "/a b/push.py", "x \"y\"", "$HOME", "`id`",
                                            "a b"}));
}

TEST(SplitCommand, UnterminatedQuoteIsAnError) {
    EXPECT_FALSE(split_command("a 'b"));
}

}  // namespace
}  // namespace portwatch::util
