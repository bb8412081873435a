#include "session/session.h"

#include <gtest/gtest.h>

#include "session/cookies.h"

namespace stepgate::session {
namespace {

SessionData Sample() {
    SessionData s;
    s.id = NewSessionId();
    s.issued_at = 1000;
    s.expires_at = 5000;
    s.identity.subject = "alice";
    s.identity.issuer = "https://idp";
    s.identity.email = "alice@example.com";
    s.identity.acr = "2";
    s.identity.amr = {"pwd", "otp"};
    s.identity.groups = {"admins"};
    s.identity.auth_time = 990;
    s.identity.claims = {{"tenant", {"acme"}}};
    return s;
}

TEST(Session, EncodesAndDecodesEveryField) {
    auto decoded = DecodeSession(EncodeSession(Sample()));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->identity.subject, "alice");
    EXPECT_EQ(decoded->identity.kind, core::CredentialKind::kSession);
    EXPECT_EQ(decoded->identity.amr, (std::vector<std::string>{"pwd", "otp"}));
    EXPECT_EQ(decoded->identity.auth_time, 990);
    EXPECT_EQ(decoded->identity.claims.at(0).values.at(0), "acme");
    EXPECT_EQ(decoded->expires_at, 5000);
    EXPECT_EQ(decoded->id.size(), 32u);
}

TEST(Session, MalformedJsonIsNoSession) {
    EXPECT_FALSE(DecodeSession("{"));
    EXPECT_FALSE(DecodeSession("[]"));
    EXPECT_FALSE(DecodeSession(R"({"v":2,"sid":"x","sub":"a","iat":1,"exp":2})"));
    EXPECT_FALSE(DecodeSession(R"({"v":1,"sid":"x","sub":"a","iat":1,"exp":"2"})"));
    EXPECT_FALSE(DecodeSession(R"({"v":1,"sid":"x","sub":"a","iat":1,"exp":2,"amr":"otp"})"));
    EXPECT_FALSE(DecodeSession(R"({"v":1,"sid":"","sub":"a","iat":1,"exp":2})"));
}

TEST(Session, ExpiredOrForeignCookiesDoNotOpen) {
    auto sealer = Sealer::Create({Secret(std::string(32, 'k'))}, "session");
    const std::string sealed = sealer->Seal(EncodeSession(Sample()), "_stepgate");
    EXPECT_TRUE(OpenSession(*sealer, sealed, "_stepgate", 4999));
    EXPECT_FALSE(OpenSession(*sealer, sealed, "_stepgate", 5000));
    EXPECT_FALSE(OpenSession(*sealer, sealed, "_other", 1000));
}

TEST(Cookies, ParsesPairsAndIgnoresJunk) {
    auto pairs = ParseCookieHeader(" a=1; b=\"two\";junk; =x;c=3=3 ");
    ASSERT_EQ(pairs.size(), 3u);
    EXPECT_EQ(pairs[1].second, "two");
    EXPECT_EQ(pairs[2].second, "3=3");
    std::string many;
    for (int i = 0; i < 500; ++i) many += "k" + std::to_string(i) + "=v; ";
    EXPECT_EQ(ParseCookieHeader(many).size(), kMaxCookies);
}

TEST(Cookies, ChunkedValuesJoinInOrderAndRefuseGapsAndDuplicates) {
    EXPECT_EQ(ReadCookie(ParseCookieHeader("_s_1=b; _s_0=a; x=1"), "_s"), "ab");
    EXPECT_FALSE(ReadCookie(ParseCookieHeader("_s_0=a; _s_2=c"), "_s"));
    EXPECT_FALSE(ReadCookie(ParseCookieHeader("_s=a; _s=b"), "_s"));
    EXPECT_FALSE(ReadCookie(ParseCookieHeader("_s_0=a; _s_0=b"), "_s"));
    EXPECT_FALSE(ReadCookie(ParseCookieHeader("_s_99=a"), "_s"));  // a chunk count is never trusted
    EXPECT_FALSE(ReadCookie(ParseCookieHeader("_s_01=a"), "_s"));
    EXPECT_EQ(ReadCookie(ParseCookieHeader("_s=whole; _s_0=part"), "_s"), "whole");
    EXPECT_FALSE(ReadCookie(ParseCookieHeader("other=1"), "_s"));
}

TEST(Cookies, LargeValuesAreSplitAndStaleChunksCleared) {
    CookieAttributes attributes;
    attributes.max_age = 60;
    const std::string big(kChunkBytes * 2 + 10, 'v');
    auto headers =
        WriteCookieFamily("_s", big, attributes, ParseCookieHeader("_s=old; _s_5=stale"));
    ASSERT_EQ(headers.size(), 5u);
    EXPECT_EQ(headers[0].rfind("_s_0=", 0), 0u);
    EXPECT_NE(headers[0].find("; HttpOnly; Secure; SameSite=Lax"), std::string::npos);
    EXPECT_EQ(headers[3].rfind("_s=; Path=/; Max-Age=0", 0), 0u);
    EXPECT_EQ(headers[4].rfind("_s_5=; Path=/; Max-Age=0", 0), 0u);
    EXPECT_TRUE(
        WriteCookieFamily("_s", std::string(kMaxValueBytes + 1, 'v'), attributes, {}).empty());
    auto small = WriteCookieFamily("_s", "v", attributes, ParseCookieHeader("_s_0=a; _s_1=b"));
    ASSERT_EQ(small.size(), 3u);
}

TEST(Cookies, SecureCanBeTurnedOffAndDomainSet) {
    CookieAttributes attributes;
    attributes.secure = false;
    attributes.domain = ".example.com";
    EXPECT_EQ(SetCookieHeader("n", "v", attributes),
              "n=v; Path=/; Domain=.example.com; HttpOnly; SameSite=Lax");
}

}  // namespace
}  // namespace stepgate::session
