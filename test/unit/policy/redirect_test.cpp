#include "policy/redirect.h"

#include <gtest/gtest.h>

namespace stepgate::policy {
namespace {

RedirectPolicy Sample() {
    return {"https://auth.example.com", "auth.example.com", {".example.com", "partner.test"}, true};
}

TEST(AcceptRedirect, RelativePathsGoToThePublicOrigin) {
    EXPECT_EQ(AcceptRedirect("/admin?x=1", Sample()), "https://auth.example.com/admin?x=1");
    EXPECT_EQ(AcceptRedirect("/", Sample()), "https://auth.example.com/");
}

TEST(AcceptRedirect, AllowedDomainsMatchOnADotBoundary) {
    EXPECT_EQ(AcceptRedirect("https://app.example.com/x", Sample()), "https://app.example.com/x");
    EXPECT_EQ(AcceptRedirect("https://example.com", Sample()), "https://example.com/");
    EXPECT_EQ(AcceptRedirect("HTTPS://App.Example.com:8443/x", Sample()),
              "https://App.Example.com:8443/x");
    EXPECT_EQ(AcceptRedirect("https://partner.test/", Sample()), "https://partner.test/");
    EXPECT_FALSE(AcceptRedirect("https://evilexample.com/", Sample()));
    EXPECT_FALSE(AcceptRedirect("https://example.com.evil.com/", Sample()));
    EXPECT_FALSE(AcceptRedirect("https://sub.partner.test/", Sample()));
}

// Each payload below is an open redirect some peer shipped (oauth2-proxy CVE-2020-5233,
// CVE-2020-11053, CVE-2021-21291; mod_auth_openidc CVE-2021-32786, CVE-2022-23527).
TEST(AcceptRedirect, RefusesOpenRedirectPayloads) {
    for (const char* payload : {"//evil.com",
                                "/\\evil.com",
                                "\\\\evil.com",
                                "/\t/evil.com",
                                "/ /evil.com",
                                "https:evil.com",
                                "https:/evil.com",
                                "http://app.example.com/",
                                "javascript://app.example.com/%0aalert(1)",
                                "javascript:alert(1)",
                                "data:text/html,x",
                                "https://app.example.com@evil.com/",
                                "https://evil.com\\@app.example.com/",
                                "https://evil.com#.example.com",
                                "https://evil.com?.example.com",
                                "https://evil.com/.example.com",
                                "/\r\nSet-Cookie: x=1",
                                "https://app.example.com/\r\nLocation: x",
                                "https://аpp.example.com/",
                                "ftp://app.example.com/",
                                "",
                                "evil.com",
                                "https://",
                                "https://:443/",
                                "https://app..example.com/"}) {
        EXPECT_FALSE(AcceptRedirect(payload, Sample())) << payload;
    }
}

TEST(AcceptRedirect, PlainHttpOnlyWhenCookiesAreNotSecure) {
    RedirectPolicy relaxed = Sample();
    relaxed.require_https = false;
    EXPECT_EQ(AcceptRedirect("http://app.example.com/", relaxed), "http://app.example.com/");
}

}  // namespace
}  // namespace stepgate::policy
