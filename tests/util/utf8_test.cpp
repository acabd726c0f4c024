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

TEST(Utf8, StripLikePython) {
    // str.strip(): the same set of spaces as split, ASCII and not, at either end only.
    EXPECT_EQ(strip_python_whitespace(""), "");
    EXPECT_EQ(strip_python_whitespace(" \t\r\n\x0b\x0c\x1c\x1d\x1e\x1f"), "");
    EXPECT_EQ(strip_python_whitespace("\xe3\x80\x80\xc2\xa0"), "");
    EXPECT_EQ(strip_python_whitespace("abc"), "abc");
    EXPECT_EQ(strip_python_whitespace("\x1c a\xe3\x80\x80"
                                      "b\t\xc2\x85"),
              "a\xe3\x80\x80"
              "b");
    EXPECT_EQ(strip_python_whitespace(" x\xff "), "x\xff");       // a stray byte is not a space
    EXPECT_EQ(strip_python_whitespace("\xe3\x80 "), "\xe3\x80");  // nor a truncated one
    EXPECT_EQ(strip_python_whitespace("a\x01"), "a\x01");         // U+0001 is not a space
    for (std::string_view const line : {" a b ", "a",
                                        "\ta\xe3\x80\x80"
                                        "b \xff",
                                        "  "}) {
        auto const parts = split_python_whitespace(line);
        auto const stripped = strip_python_whitespace(line);
        if (parts.empty()) {
            EXPECT_TRUE(stripped.empty()) << line;
        } else {
            EXPECT_EQ(stripped.front(), parts.front().front()) << line;
            EXPECT_EQ(stripped.data() + stripped.size(), parts.back().data() + parts.back().size())
                << line;
        }
    }
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
