#include "jose/base64url.h"

#include <gtest/gtest.h>

#include <string>

namespace stepgate::jose {
namespace {

TEST(Base64Url, EncodesRfc4648TestVectorsWithoutPadding) {
    // RFC 4648 §10, in the URL alphabet and without '='.
    EXPECT_EQ(Base64UrlEncode(""), "");
    EXPECT_EQ(Base64UrlEncode("f"), "Zg");
    EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
    EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
    EXPECT_EQ(Base64UrlEncode("foob"), "Zm9vYg");
    EXPECT_EQ(Base64UrlEncode("fooba"), "Zm9vYmE");
    EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
}

TEST(Base64Url, UsesUrlAlphabetForHighValues) {
    EXPECT_EQ(Base64UrlEncode(std::string("\xfb\xff\xbf", 3)), "-_-_");
    EXPECT_EQ(Base64UrlDecode("-_-_"), std::string("\xfb\xff\xbf", 3));
}

TEST(Base64Url, DecodesRfc4648TestVectors) {
    EXPECT_EQ(Base64UrlDecode(""), std::string());
    EXPECT_EQ(Base64UrlDecode("Zg"), "f");
    EXPECT_EQ(Base64UrlDecode("Zm8"), "fo");
    EXPECT_EQ(Base64UrlDecode("Zm9v"), "foo");
    EXPECT_EQ(Base64UrlDecode("Zm9vYg"), "foob");
    EXPECT_EQ(Base64UrlDecode("Zm9vYmE"), "fooba");
    EXPECT_EQ(Base64UrlDecode("Zm9vYmFy"), "foobar");
}

TEST(Base64Url, RoundTripsEveryLengthAndByteValue) {
    std::string bytes;
    for (int i = 0; i < 300; ++i) {
        const auto encoded = Base64UrlEncode(bytes);
        const auto decoded = Base64UrlDecode(encoded);
        ASSERT_TRUE(decoded.has_value()) << "length " << i;
        EXPECT_EQ(*decoded, bytes);
        bytes.push_back(static_cast<char>((i * 151 + 7) & 0xff));
    }
}

TEST(Base64Url, PaddingIsRefused) {
    EXPECT_FALSE(Base64UrlDecode("Zg=="));
    EXPECT_FALSE(Base64UrlDecode("Zm8="));
    EXPECT_FALSE(Base64UrlDecode("Zg="));
    EXPECT_FALSE(Base64UrlDecode("===="));
}

TEST(Base64Url, StandardAlphabetCharactersAreRefused) {
    EXPECT_FALSE(Base64UrlDecode("+/+/"));
    EXPECT_FALSE(Base64UrlDecode("ab+d"));
    EXPECT_FALSE(Base64UrlDecode("ab/d"));
}

TEST(Base64Url, WhitespaceAndControlCharactersAreRefused) {
    EXPECT_FALSE(Base64UrlDecode("Zm9v Yg"));
    EXPECT_FALSE(Base64UrlDecode("Zm9v\nYg"));
    EXPECT_FALSE(Base64UrlDecode(" Zm9v"));
    EXPECT_FALSE(Base64UrlDecode("Zm9v\t"));
    EXPECT_FALSE(Base64UrlDecode(std::string("Zm\0v", 4)));
    EXPECT_FALSE(Base64UrlDecode("Zm9\xc3\xa9"));
}

TEST(Base64Url, LengthOneModuloFourIsRefused) {
    EXPECT_FALSE(Base64UrlDecode("Z"));
    EXPECT_FALSE(Base64UrlDecode("Zm9vY"));
}

TEST(Base64Url, NonZeroUnusedTrailingBitsAreRefused) {
    // "Zg" is 'f'; "Zh".."Zv" carry the same byte with non-zero unused bits.
    EXPECT_TRUE(Base64UrlDecode("Zg"));
    EXPECT_FALSE(Base64UrlDecode("Zh"));
    EXPECT_FALSE(Base64UrlDecode("Zv"));
    // "Zm8" is "fo"; "Zm9" would set an unused bit.
    EXPECT_TRUE(Base64UrlDecode("Zm8"));
    EXPECT_FALSE(Base64UrlDecode("Zm9"));
    EXPECT_FALSE(Base64UrlDecode("Zm-"));
}

TEST(Base64Url, InvalidCharacterAnywhereIsRefused) {
    const std::string valid = "Zm9vYmFyYmF6";
    for (std::size_t i = 0; i < valid.size(); ++i) {
        std::string bad = valid;
        bad[i] = '.';
        EXPECT_FALSE(Base64UrlDecode(bad)) << "position " << i;
    }
}

}  // namespace
}  // namespace stepgate::jose
