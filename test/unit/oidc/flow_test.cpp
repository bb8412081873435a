#include "oidc/flow.h"

#include <gtest/gtest.h>

#include "oidc/provider.h"

namespace stepgate::oidc {
namespace {

TEST(Pkce, MatchesTheRfc7636Example) {
    // RFC 7636 Appendix B.
    EXPECT_EQ(PkceS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
              "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(RandomUrlToken, Is256BitsOfBase64Url) {
    const std::string a = RandomUrlToken();
    EXPECT_EQ(a.size(), 43u);
    EXPECT_NE(a, RandomUrlToken());
    EXPECT_EQ(
        a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
}

TEST(Flow, EncodesAndDecodes) {
    FlowState flow{"s", "n", "v", "https://app.example.com/x", 1, 300, 1000, "alice"};
    auto decoded = DecodeFlow(EncodeFlow(flow));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->rd, flow.rd);
    EXPECT_EQ(decoded->max_age, 300);
    EXPECT_EQ(decoded->subject_hint, "alice");
    EXPECT_FALSE(DecodeFlow("{\"v\":1}"));
    EXPECT_FALSE(DecodeFlow("not json"));
    EXPECT_FALSE(DecodeFlow(R"({"v":1,"s":"s","n":"n","cv":"v","rd":"x","l":1e300,"t":1})"));
    EXPECT_FALSE(DecodeFlow(R"({"v":1,"s":"s","n":"n","cv":"v","rd":"x","l":0,"t":1e19})"));
    EXPECT_FALSE(DecodeFlow(R"({"v":1,"s":"","n":"n","cv":"v","rd":"x","l":0,"t":1})"));
}

TEST(AuthorizationUrl, CarriesEveryStepUpParameterEncoded) {
    AuthorizationRequest r;
    r.authorization_endpoint = "https://idp.example.com/auth";
    r.client_id = "stepgate";
    r.redirect_uri = "https://auth.example.com/stepgate/callback";
    r.scopes = {"openid", "email"};
    r.state = "st";
    r.nonce = "no";
    r.code_challenge = "cc";
    r.acr_values = {"urn:stepgate:loa:mfa", "2"};
    r.max_age = 300;
    r.login_hint = "alice@example.com";
    EXPECT_EQ(AuthorizationUrl(r),
              "https://idp.example.com/"
              "auth?response_type=code&client_id=stepgate&redirect_uri=https%3A%2F%2F"
              "auth.example.com%2Fstepgate%2Fcallback&scope=openid%20email&state=st&nonce=no&code_"
              "challenge=cc"
              "&code_challenge_method=S256&acr_values=urn%3Astepgate%3Aloa%3Amfa%202&max_age=300"
              "&login_hint=alice%40example.com");
    r.authorization_endpoint = "https://idp.example.com/auth?tenant=x";
    r.max_age.reset();
    r.prompt_login = true;
    const std::string url = AuthorizationUrl(r);
    EXPECT_EQ(url.rfind("https://idp.example.com/auth?tenant=x&response_type=code", 0), 0u);
    EXPECT_NE(url.find("&prompt=login"), std::string::npos);
}

TEST(CheckAuthentication, WhatTheProviderDidDecides) {
    FlowState flow;
    flow.level = 1;
    flow.max_age = 300;
    core::Identity identity;
    identity.level = 0;
    identity.auth_time = 1000;
    EXPECT_EQ(CheckAuthentication(flow, identity, 1010, 30).error(),
              CallbackFailure::kWeakerThanAsked);
    identity.level = 1;
    EXPECT_TRUE(CheckAuthentication(flow, identity, 1010, 30));
    EXPECT_EQ(CheckAuthentication(flow, identity, 1331, 30).error(),
              CallbackFailure::kStaleAuthentication);
    identity.auth_time.reset();
    EXPECT_EQ(CheckAuthentication(flow, identity, 1010, 30).error(),
              CallbackFailure::kAuthTimeMissing);
    flow.max_age.reset();
    EXPECT_TRUE(CheckAuthentication(flow, identity, 1010, 30));
    identity.level = core::kNoLevel;  // Keycloak's acr "0"
    flow.level = 0;
    EXPECT_FALSE(CheckAuthentication(flow, identity, 1010, 30));
}

TEST(Discovery, IssuerMustMatchExactly) {
    const char* doc =
        R"({"issuer":"https://idp.example.com","jwks_uri":"https://idp.example.com/jwks",
        "authorization_endpoint":"https://idp.example.com/auth","token_endpoint":"https://idp.example.com/token",
        "authorization_response_iss_parameter_supported":true})";
    auto parsed = ParseDiscovery(doc, "https://idp.example.com");
    ASSERT_TRUE(parsed);
    EXPECT_TRUE(parsed->authorization_response_iss_parameter_supported);
    EXPECT_FALSE(ParseDiscovery(doc, "https://idp.example.com/"));
    EXPECT_FALSE(ParseDiscovery("{}", "x"));
    // An https issuer cannot send the client secret or fetch keys over plain http.
    std::string plain = doc;
    plain.replace(plain.find("https://idp.example.com/token"), 29, "http://idp.example.com/token");
    EXPECT_FALSE(ParseDiscovery(plain, "https://idp.example.com"));
    EXPECT_FALSE(ParseDiscovery("[", "x"));
}

}  // namespace
}  // namespace stepgate::oidc
