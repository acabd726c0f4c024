#include "util/utf8.hpp"

#include <gtest/gtest.h>

namespace portwatch::util {
namespace {

TEST(Utf8, Validity) {
    EXPECT_TRUE(is_valid_utf8("plain"));
    EXPECT_TRUE(is_valid_utf8("장애 복구"));
    EXPECT_FALSE(is_valid_utf8("\xff"));
    EXPECT_FALSE(is_valid_utf8("\xc0\x80"));      // overlong
    EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));  // surrogate
    EXPECT_FALSE(is_valid_utf8("\xe3\x80"));      // truncated
}

TEST(Utf8, SplitLikePython) {
    using V = std::vector<std::string_view>;
    EXPECT_EQ(split_python_whitespace("  a \t b\x0b"
                                      "c\x1f"
                                      "d  "),
              (V{"a", "b", "c", "d"}));
    EXPECT_EQ(split_python_whitespace("가\xe3\x80\x80나\xc2\xa0다"), (V{"가", "나", "다"}));
    EXPECT_EQ(split_python_whitespace("x\xff y"), (V{"x\xff", "y"}));
    EXPECT_EQ(split_python_whitespace(""), V{});
    EXPECT_EQ(strip_python_whitespace("\xe2\x80\x83 a b \n"), "a b");
}

TEST(Utf8, HexRoundTrip) {
    std::string out;
    EXPECT_EQ(to_hex(std::string_view("\x00\xff"
                                      "a",
                                      3)),
              "00ff61");
    ASSERT_TRUE(from_hex("00ff61", out));
    EXPECT_EQ(out, std::string("\x00\xff"
                               "a",
                               3));
    EXPECT_FALSE(from_hex("0", out));
    EXPECT_FALSE(from_hex("zz", out));
}

}  // namespace
}  // namespace portwatch::util
