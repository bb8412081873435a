#include "policy/url.h"

#include <gtest/gtest.h>

#include "common/encoding.h"

namespace stepgate::policy {
namespace {

std::string Match(std::string_view raw, bool ci = false) {
    auto result = NormalizePath(raw, ci);
    return result ? result->match_path : "ERROR";
}

UrlError ErrorOf(std::string_view raw) {
    auto result = NormalizePath(raw, false);
    EXPECT_FALSE(result.has_value()) << raw;
    return result ? UrlError::kTooLong : result.error();
}

TEST(NormalizePath, DecodesOnceAndMergesSlashes) {
    EXPECT_EQ(Match("/admin"), "/admin");
    EXPECT_EQ(Match("//admin///users"), "/admin/users");
    EXPECT_EQ(Match("/%61dmin"), "/admin");
    EXPECT_EQ(Match("/public%2Fadmin"), "/public/admin");  // %2F decodes (CONTRACT)
    EXPECT_EQ(Match("/public%2f%2fadmin"), "/public/admin");
    EXPECT_EQ(Match("/"), "/");
    EXPECT_EQ(Match("/admin/"), "/admin/");
    EXPECT_EQ(Match("/a%20b"), "/a b");
}

TEST(NormalizePath, RefusesDotSegmentsInEverySpelling) {
    EXPECT_EQ(ErrorOf("/public/../admin"), UrlError::kDotSegment);
    EXPECT_EQ(ErrorOf("/public/./admin"), UrlError::kDotSegment);
    EXPECT_EQ(ErrorOf("/public/%2e%2e/admin"), UrlError::kDotSegment);
    EXPECT_EQ(ErrorOf("/public/%2E%2E/admin"), UrlError::kDotSegment);
    EXPECT_EQ(ErrorOf("/public/.%2e/admin"), UrlError::kDotSegment);
    EXPECT_EQ(ErrorOf("/public%2F..%2Fadmin"), UrlError::kDotSegment);
    EXPECT_EQ(ErrorOf("/public/..;/admin"), UrlError::kDotSegment);  // Tomcat path parameters
    EXPECT_EQ(ErrorOf("/.."), UrlError::kDotSegment);
    EXPECT_EQ(ErrorOf("/admin/.."), UrlError::kDotSegment);
}

TEST(NormalizePath, RefusesDoubleEncoding) {
    EXPECT_EQ(ErrorOf("/public/%252e%252e/admin"), UrlError::kDoubleEncoding);
    EXPECT_EQ(ErrorOf("/public%252Fadmin"), UrlError::kDoubleEncoding);
    EXPECT_EQ(ErrorOf("/a%2525"), UrlError::kDoubleEncoding);
    EXPECT_EQ(ErrorOf("/a%255c"), UrlError::kDoubleEncoding);
}

TEST(NormalizePath, RefusesBadEscapesControlsAndBackslashes) {
    EXPECT_EQ(ErrorOf("/a%2"), UrlError::kBadEscape);
    EXPECT_EQ(ErrorOf("/a%zz"), UrlError::kBadEscape);
    EXPECT_EQ(ErrorOf("/a%"), UrlError::kBadEscape);
    EXPECT_EQ(ErrorOf("/a%00b"), UrlError::kControlCharacter);
    EXPECT_EQ(ErrorOf("/a%0d%0a"), UrlError::kControlCharacter);
    EXPECT_EQ(ErrorOf("/public\\..\\admin"), UrlError::kBackslash);
    EXPECT_EQ(ErrorOf("/public%5c..%5cadmin"), UrlError::kBackslash);
    EXPECT_EQ(ErrorOf("admin"), UrlError::kBadPath);
    EXPECT_EQ(ErrorOf(""), UrlError::kBadPath);
}

TEST(NormalizePath, RefusesOverlongAndMalformedUtf8) {
    // Tomcat CVE-2008-2938: %c0%ae is an overlong '.', a dot segment to lenient decoders.
    EXPECT_EQ(ErrorOf("/public/%c0%ae%c0%ae/admin"), UrlError::kInvalidUtf8);
    EXPECT_EQ(ErrorOf("/a%e0%80%af"), UrlError::kInvalidUtf8);     // overlong '/'
    EXPECT_EQ(ErrorOf("/a%ed%a0%80"), UrlError::kInvalidUtf8);     // a surrogate
    EXPECT_EQ(ErrorOf("/a%f4%90%80%80"), UrlError::kInvalidUtf8);  // above U+10FFFF
    EXPECT_EQ(ErrorOf("/a%ff"), UrlError::kInvalidUtf8);
    EXPECT_EQ(ErrorOf("/a%c3"), UrlError::kInvalidUtf8);  // truncated
    EXPECT_EQ(Match("/caf%c3%a9"), "/caf\xc3\xa9");       // real UTF-8 is fine
    EXPECT_EQ(Match("/%f0%9f%94%92"), "/\xf0\x9f\x94\x92");
}

TEST(NormalizePath, ParameterOnlySegmentsMergeAwayForMatching) {
    // Tomcat drops `;x` and merges the slashes: /;x/admin is /admin there.
    EXPECT_EQ(Match("/;x/admin/users"), "/admin/users");
    EXPECT_EQ(Match("/admin/;/;/users"), "/admin/users");
    EXPECT_EQ(Match("/;x"), "/");
    EXPECT_EQ(Match("/admin/;x"), "/admin/");
}

TEST(NormalizePath, RefusesPathsDeeperThanAnyRuleCanSee) {
    std::string deep;
    for (std::size_t i = 0; i < kMaxPathSegments; ++i) deep += "/a";
    EXPECT_TRUE(NormalizePath(deep, false));
    EXPECT_EQ(ErrorOf(deep + "/a"), UrlError::kTooLong);
}

TEST(NormalizePath, StripsPathParametersForMatchingOnly) {
    auto result = NormalizePath("/admin;jsessionid=1/users", false);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->match_path, "/admin/users");
    EXPECT_EQ(result->path, "/admin;jsessionid=1/users");
}

TEST(NormalizePath, LowerCasesForCaseInsensitiveMatching) {
    EXPECT_EQ(Match("/ADMIN/Users", true), "/admin/users");
    EXPECT_EQ(Match("/ADMIN/Users", false), "/ADMIN/Users");
}

TEST(ParseAbsoluteUrl, ReadsSchemeHostPathAndQuery) {
    auto url = ParseAbsoluteUrl("HTTPS://Shop.Example.COM.:8443/checkout/pay?x=1&y=2", false);
    ASSERT_TRUE(url);
    EXPECT_EQ(url->scheme, "https");
    EXPECT_EQ(url->host, "shop.example.com");
    EXPECT_EQ(url->path.match_path, "/checkout/pay");
    EXPECT_EQ(url->raw_query, "x=1&y=2");
    EXPECT_EQ(url->authority, "Shop.Example.COM.:8443");
}

TEST(ParseAbsoluteUrl, QueryIsNotPartOfThePath) {
    auto url = ParseAbsoluteUrl("https://a.example.com/public?next=/admin/../x", false);
    ASSERT_TRUE(url);
    EXPECT_EQ(url->path.match_path, "/public");
}

TEST(ParseAbsoluteUrl, RefusesWhatIsNotAnAbsoluteHttpUrl) {
    EXPECT_FALSE(ParseAbsoluteUrl("/relative", false));
    EXPECT_FALSE(ParseAbsoluteUrl("ftp://example.com/", false));
    EXPECT_FALSE(ParseAbsoluteUrl("javascript://example.com/", false));
    EXPECT_EQ(ParseAbsoluteUrl("https://example.com/a#frag", false).error(), UrlError::kFragment);
    EXPECT_EQ(ParseAbsoluteUrl("https://user@example.com/", false).error(), UrlError::kBadHost);
    EXPECT_EQ(ParseAbsoluteUrl("https:///path", false).error(), UrlError::kBadHost);
    EXPECT_EQ(ParseAbsoluteUrl("https://exa mple.com/", false).error(), UrlError::kBadHost);
    EXPECT_EQ(ParseAbsoluteUrl("https://example.com:99999/", false).error(), UrlError::kBadHost);
    EXPECT_EQ(ParseAbsoluteUrl(std::string("https://example.com/") + std::string(9000, 'a'), false)
                  .error(),
              UrlError::kTooLong);
}

// "/admin /x" is not "/admin/x" to the matcher, but a hop that splits or trims at the space
// could make it so: raw whitespace anywhere in the target is refused; %20 is a path byte.
TEST(ParseAbsoluteUrl, RefusesRawWhitespaceButNotAnEncodedSpace) {
    for (const char* url : {"https://a.example.com/admin /x", "https://a.example.com/admin\t/x",
                            "https://a.example.com/admin ", "https://a.example.com/x?a=b c",
                            "https://a.example.com /admin"}) {
        auto parsed = ParseAbsoluteUrl(url, false);
        ASSERT_FALSE(parsed) << url;
    }
    EXPECT_EQ(ParseAbsoluteUrl("https://a.example.com/admin /x", false).error(),
              UrlError::kWhitespace);
    EXPECT_EQ(ParseOriginForm("https", "a.example.com", "/x?q=1 2", false).error(),
              UrlError::kWhitespace);
    auto encoded = ParseAbsoluteUrl("https://a.example.com/my%20files/x", false);
    ASSERT_TRUE(encoded);
    EXPECT_EQ(encoded->path.match_path, "/my files/x");
}

// The authority ends at the first of '/', '?' and '#', whichever comes first.
TEST(ParseAbsoluteUrl, AuthorityEndsAtTheFirstSlashQueryOrFragment) {
    auto query_first = ParseAbsoluteUrl("https://A.example.com?next=/x", false);
    ASSERT_TRUE(query_first);
    EXPECT_EQ(query_first->host, "a.example.com");
    EXPECT_EQ(query_first->path.path, "/");
    EXPECT_EQ(query_first->raw_query, "next=/x");
    EXPECT_EQ(ParseAbsoluteUrl("https://a.example.com#/x", false).error(), UrlError::kFragment);
    auto slash_first = ParseAbsoluteUrl("https://a.example.com/p?q=#", false);
    EXPECT_EQ(slash_first.error(), UrlError::kFragment);
}

TEST(FindAnyOf, AnswersTheFirstPositionOfAnyGivenByte) {
    static_assert(FindAnyOf("host/p?q", "/?#") == 4);
    static_assert(FindAnyOf("host?q/p", "/?#") == 4);
    static_assert(FindAnyOf("host", "/?#") == std::string_view::npos);
    static_assert(FindAnyOf("", "/?#") == std::string_view::npos);
    static_assert(FindAnyOf("a b", "") == std::string_view::npos);
    EXPECT_EQ(FindAnyOf(std::string_view("x\0y", 3), std::string_view("\0", 1)), 1u);
    EXPECT_EQ(FindAnyOf("ab\tc d", " \t"), 2u);
}

TEST(NormalizeHost, DropsPortAndTrailingDotAndLowerCases) {
    EXPECT_EQ(*NormalizeHost("Admin.Example.com.:443"), "admin.example.com");
    EXPECT_EQ(*NormalizeHost("[::1]:8080"), "[::1]");
    EXPECT_EQ(*NormalizeHost("10.0.0.1"), "10.0.0.1");
    EXPECT_FALSE(NormalizeHost(""));
    EXPECT_FALSE(NormalizeHost("."));
    EXPECT_FALSE(NormalizeHost("a..b"));
    EXPECT_FALSE(NormalizeHost("app.admin.example.com.."));  // an empty last label
    EXPECT_FALSE(NormalizeHost("a/b"));
    EXPECT_FALSE(NormalizeHost("host:"));
    EXPECT_FALSE(NormalizeHost("[::1"));
}

TEST(DecodeQueryComponent, DecodesPlusAndEscapes) {
    std::string out;
    EXPECT_TRUE(DecodeQueryComponent("a+b%2Cc", out));
    EXPECT_EQ(out, "a b,c");
    EXPECT_FALSE(DecodeQueryComponent("%4", out));
    EXPECT_FALSE(DecodeQueryComponent("%g1", out));
}

}  // namespace
}  // namespace stepgate::policy
