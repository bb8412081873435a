#include "adapters/browser.h"

#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>
#include <map>

#include "oidc/flow.h"
#include "oidc/provider.h"
#include "session/cookies.h"
#include "unit/jose/token_factory.h"

namespace stepgate::adapters {
namespace {

namespace bhttp = boost::beast::http;
constexpr std::int64_t kNow = 1'800'000'000;

const char* kConfig = R"(public_url: https://auth.example.com/stepgate
provider:
  issuer: https://idp.example.com
  client_id: stepgate
session:
  secret: MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=
  lifetime: 1h
levels:
  - name: basic
    acr: ["1"]
  - name: mfa
    acr: ["2"]
rules:
  - name: payments
    paths: ["/checkout/**"]
    require: { level: mfa, max_age: 5m }
  - name: admin
    paths: ["/admin/**"]
    require: { level: basic, groups_any: [admins] }
  - name: public
    paths: ["/public/**"]
    require: { level: none }
default: { require: { level: basic } }
redirect:
  allowed_domains: [".example.com"]
)";

class FakeProvider final : public KeySource {
 public:
    FakeProvider() {
        discovery_ = std::make_shared<oidc::Discovery>();
        discovery_->issuer = "https://idp.example.com";
        discovery_->authorization_endpoint = "https://idp.example.com/auth";
        discovery_->token_endpoint = "https://idp.example.com/token";
        discovery_->jwks_uri = "https://idp.example.com/jwks";
    }
    std::shared_ptr<const jose::KeySet> Keys() const override { return nullptr; }
    std::shared_ptr<const oidc::Discovery> GetDiscovery() const override { return discovery_; }
    std::shared_ptr<oidc::Discovery> discovery_;
};

class BrowserTest : public ::testing::Test {
 protected:
    BrowserTest() : clock_(kNow) {
        observability::SetLogLevel(observability::LogLevel::kOff);
        auto config = config::LoadConfigText(kConfig, "test.yaml");
        EXPECT_TRUE(config);
        auto snapshot = Snapshot::Build(*config);
        EXPECT_TRUE(snapshot);
        snapshot_ = *snapshot;
        runtime_ = std::make_unique<Runtime>(snapshot_, provider_, clock_);
    }

    // A session cookie header as /callback would have set it.
    std::string SessionCookie(std::string acr, std::int64_t auth_age = 10,
                              std::vector<std::string> groups = {}) {
        session::SessionData data;
        data.id = session::NewSessionId();
        data.issued_at = kNow - 100;
        data.expires_at = kNow + 3000;
        data.identity.subject = "alice";
        data.identity.email = "alice@example.com";
        data.identity.acr = std::move(acr);
        data.identity.auth_time = kNow - auth_age;
        data.identity.groups = std::move(groups);
        return "_stepgate=" +
               snapshot_->session_sealer->Seal(session::EncodeSession(data), "_stepgate");
    }

    Response Send(std::string target, std::map<std::string, std::string> headers,
                  DeferredWork* deferred = nullptr, HandleStatus expected = HandleStatus::kDone) {
        Request request{bhttp::verb::get, target, 11};
        for (const auto& [name, value] : headers) request.insert(name, value);
        Response response;
        EXPECT_EQ(HandleRequest(*runtime_, request, response, {"127.0.0.1"}, true, deferred),
                  expected);
        return response;
    }

    Response Auth(std::string url, std::string cookie) {
        return Send("/auth",
                    {{"X-Original-URL", url}, {"X-Original-Method", "GET"}, {"Cookie", cookie}});
    }

    std::vector<std::string> SetCookies(const Response& response) {
        std::vector<std::string> out;
        for (auto it = response.find(bhttp::field::set_cookie);
             it != response.end() && it->name() == bhttp::field::set_cookie; ++it) {
            out.emplace_back(it->value());
        }
        return out;
    }

    FixedClock clock_;
    FakeProvider provider_;
    std::shared_ptr<Snapshot> snapshot_;
    std::unique_ptr<Runtime> runtime_;
};

TEST_F(BrowserTest, SessionCookieAllowsAndCarriesIdentity) {
    Response response = Auth("https://app.example.com/home", SessionCookie("1"));
    EXPECT_EQ(response.result(), bhttp::status::ok);
    EXPECT_EQ(response["X-Auth-Request-User"], "alice");
    EXPECT_EQ(response["X-Auth-Request-Level"], "basic");
    EXPECT_EQ(response.count(bhttp::field::set_cookie), 0u);  // far from expiry: no refresh
}

TEST_F(BrowserTest, WeakSessionIs401OnAuthAndRedirectsOnForwardAuth) {
    EXPECT_EQ(Auth("https://app.example.com/checkout/x", SessionCookie("1")).result(),
              bhttp::status::unauthorized);
    Response redirect = Send("/forward-auth", {{"X-Forwarded-Host", "app.example.com"},
                                               {"X-Forwarded-Uri", "/checkout/x"},
                                               {"X-Forwarded-Method", "GET"},
                                               {"Cookie", SessionCookie("1")}});
    EXPECT_EQ(redirect.result(), bhttp::status::found);
    EXPECT_EQ(
        redirect[bhttp::field::location].rfind("https://auth.example.com/stepgate/start?rd=", 0),
        0u);
}

TEST_F(BrowserTest, StaleMfaSessionMustStepUpAgain) {
    EXPECT_EQ(Auth("https://app.example.com/checkout/x", SessionCookie("2", 10)).result(),
              bhttp::status::ok);
    EXPECT_EQ(Auth("https://app.example.com/checkout/x", SessionCookie("2", 400)).result(),
              bhttp::status::unauthorized);
}

TEST_F(BrowserTest, TamperedTruncatedOrForeignCookiesCountAsNoSession) {
    std::string cookie = SessionCookie("2");
    std::string tampered = cookie;
    tampered[20] = tampered[20] == 'A' ? 'B' : 'A';
    for (const std::string& bad :
         {tampered, cookie.substr(0, cookie.size() - 3), std::string("_stepgate=garbage"),
          std::string("_stepgate="), cookie + "; " + cookie,
          std::string("_stepgate_0=x; _stepgate_7=y")}) {
        Response response = Auth("https://app.example.com/home", bad);
        EXPECT_EQ(response.result(), bhttp::status::unauthorized) << bad.substr(0, 40);
    }
}

TEST_F(BrowserTest, SessionNearExpiryIsRefreshedInOneCookie) {
    clock_.Set(kNow + 2500);  // 500 s left of a 1 h lifetime
    Response response = Auth("https://app.example.com/home", SessionCookie("1"));
    EXPECT_EQ(response.result(), bhttp::status::ok);
    auto cookies = SetCookies(response);
    ASSERT_EQ(cookies.size(), 1u);
    EXPECT_EQ(cookies[0].rfind("_stepgate=", 0), 0u);
    EXPECT_NE(cookies[0].find("Max-Age=3600; HttpOnly; Secure; SameSite=Lax"), std::string::npos);
}

TEST_F(BrowserTest, LoweredAbsoluteLifetimeEndsOlderSessionsAfterAReload) {
    const std::string cookie = SessionCookie("1");  // issued 100 s ago, expires in 3000 s
    EXPECT_EQ(Auth("https://app.example.com/home", cookie).result(), bhttp::status::ok);
    // The operator lowers the absolute lifetime below the session's age and reloads: the same
    // cookie (opened and cached under the old snapshot) no longer passes.
    std::string text = kConfig;
    text.replace(text.find("  lifetime: 1h\n"), 14, "  lifetime: 1m\n  absolute_lifetime: 90s\n");
    auto config = config::LoadConfigText(text, "test.yaml");
    ASSERT_TRUE(config);
    auto snapshot = Snapshot::Build(*config);
    ASSERT_TRUE(snapshot);
    runtime_->Swap(*snapshot);
    EXPECT_EQ(Auth("https://app.example.com/home", cookie).result(), bhttp::status::unauthorized);
    // A session younger than the new bound still passes, capped by it.
    snapshot_ = *snapshot;
    clock_.Set(kNow - 50);
    EXPECT_EQ(Auth("https://app.example.com/home", cookie).result(), bhttp::status::ok);
}

TEST_F(BrowserTest, StartAsksTheProviderForWhatRdNeeds) {
    Response response = Send("/stepgate/start?rd=https%3A%2F%2Fshop.example.com%2Fcheckout%2Fpay",
                             {{"Cookie", SessionCookie("1")}});
    ASSERT_EQ(response.result(), bhttp::status::found);
    const std::string location(response[bhttp::field::location]);
    EXPECT_EQ(
        location.rfind("https://idp.example.com/auth?response_type=code&client_id=stepgate", 0),
        0u);
    EXPECT_NE(location.find("&redirect_uri=https%3A%2F%2Fauth.example.com%2Fstepgate%2Fcallback"),
              std::string::npos);
    EXPECT_NE(location.find("&acr_values=2&max_age=300&login_hint=alice%40example.com"),
              std::string::npos);
    EXPECT_NE(location.find("&code_challenge_method=S256"), std::string::npos);
    auto cookies = SetCookies(response);
    ASSERT_EQ(cookies.size(), 1u);
    EXPECT_EQ(cookies[0].rfind("_stepgate_flow_", 0), 0u);
    EXPECT_NE(
        cookies[0].find("; Path=/stepgate/callback; Max-Age=600; HttpOnly; Secure; SameSite=Lax"),
        std::string::npos);
}

TEST_F(BrowserTest, StartWithPinsUsesThem) {
    Response response = Send("/start?rd=%2Fpublic%2Fx&level=mfa", {});
    ASSERT_EQ(response.result(), bhttp::status::found);
    EXPECT_NE(std::string(response[bhttp::field::location]).find("&acr_values=2"),
              std::string::npos);
    EXPECT_EQ(Send("/start?rd=%2Fx&level=gold", {}).result(), bhttp::status::internal_server_error);
}

TEST_F(BrowserTest, StartSendsASatisfiedSessionStraightBack) {
    Response response =
        Send("/start?rd=https%3A%2F%2Fapp.example.com%2Fhome", {{"Cookie", SessionCookie("2")}});
    EXPECT_EQ(response.result(), bhttp::status::found);
    EXPECT_EQ(response[bhttp::field::location], "https://app.example.com/home");
}

TEST_F(BrowserTest, StartShowsForbiddenWhenSteppingUpCannotHelp) {
    EXPECT_EQ(
        Send("/start?rd=https%3A%2F%2Fapp.example.com%2Fadmin%2F", {{"Cookie", SessionCookie("2")}})
            .result(),
        bhttp::status::forbidden);
}

TEST_F(BrowserTest, StartRefusesOpenRedirectsWithoutEchoingThem) {
    for (const char* rd :
         {"%2F%2Fevil.com", "%2F%5Cevil.com", "https%3Aevil.com", "https%3A%2F%2Fevil.com%2F",
          "https%3A%2F%2Fapp.example.com%40evil.com%2F", "%2F%09%2Fevil.com",
          "https%3A%2F%2Fevilexample.com%2F", "javascript%3Aalert(1)", "%2F%0d%0aSet-Cookie%3Ax"}) {
        Response response = Send(std::string("/start?rd=") + rd, {});
        EXPECT_EQ(response.result(), bhttp::status::bad_request) << rd;
        EXPECT_EQ(response.body().find("evil"), std::string::npos);
    }
}

TEST_F(BrowserTest, CallbackWithoutItsFlowCookieOrWithAForgedStateGrantsNothing) {
    EXPECT_EQ(Send("/callback?code=c&state=abcdefghijklmnopqrstuvwxyz", {}).result(),
              bhttp::status::bad_request);
    EXPECT_EQ(Send("/callback?code=c", {}).result(), bhttp::status::bad_request);
    EXPECT_EQ(Send("/callback?code=c&state=a&state=b", {}).result(), bhttp::status::bad_request);

    Response start = Send("/start?rd=%2Fhome", {});
    const std::string flow_cookie =
        SetCookies(start).at(0).substr(0, SetCookies(start).at(0).find(';'));
    const std::string location(start[bhttp::field::location]);
    const auto state_at = location.find("&state=") + 7;
    const std::string state = location.substr(state_at, location.find('&', state_at) - state_at);

    // The right cookie with another state (same 12-character prefix) is refused.
    std::string forged = state;
    forged.back() = forged.back() == 'A' ? 'B' : 'A';
    EXPECT_EQ(Send("/callback?code=c&state=" + forged, {{"Cookie", flow_cookie}}).result(),
              bhttp::status::bad_request);
    // A provider error grants nothing either.
    EXPECT_EQ(
        Send("/callback?error=access_denied&state=" + state, {{"Cookie", flow_cookie}}).result(),
        bhttp::status::forbidden);
    // The wrong authorization-response issuer (RFC 9207) is refused.
    EXPECT_EQ(Send("/callback?code=c&iss=https%3A%2F%2Fevil.example&state=" + state,
                   {{"Cookie", flow_cookie}})
                  .result(),
              bhttp::status::bad_request);
    provider_.discovery_->authorization_response_iss_parameter_supported = true;
    EXPECT_EQ(Send("/callback?code=c&state=" + state, {{"Cookie", flow_cookie}}).result(),
              bhttp::status::bad_request);
    provider_.discovery_->authorization_response_iss_parameter_supported = false;

    // The genuine pair goes on to the token endpoint, off the event loop.
    DeferredWork work;
    Response deferred = Send("/callback?code=c&state=" + state, {{"Cookie", flow_cookie}}, &work,
                             HandleStatus::kDeferred);
    EXPECT_TRUE(work);
    // The flow cookie is cleared in any case: it is single-use.
    EXPECT_EQ(SetCookies(deferred).at(0).rfind(flow_cookie.substr(0, flow_cookie.find('=')) +
                                                   "=; Path=/stepgate/callback; Max-Age=0",
                                               0),
              0u);

    const std::string metrics = runtime_->metrics().Render(nullptr);
    EXPECT_NE(metrics.find("stepgate_stepups_failed_total{reason=\"unknown_flow\"} 2"),
              std::string::npos);
    EXPECT_NE(metrics.find("stepgate_stepups_failed_total{reason=\"provider_error\"} 1"),
              std::string::npos);
    EXPECT_NE(metrics.find("stepgate_stepups_failed_total{reason=\"bad_state\"} 2"),
              std::string::npos);
    EXPECT_NE(metrics.find("stepgate_stepups_failed_total{reason=\"wrong_iss\"} 2"),
              std::string::npos);

    // Too late.
    clock_.Advance(601);
    EXPECT_EQ(Send("/callback?code=c&state=" + state, {{"Cookie", flow_cookie}}).result(),
              bhttp::status::bad_request);
}

TEST_F(BrowserTest, LogoutClearsTheSessionWhateverRdSays) {
    Response response = Send("/logout?rd=https%3A%2F%2Fevil.com%2F",
                             {{"Cookie", SessionCookie("1") + "; _stepgate_1=x"}});
    EXPECT_EQ(response.result(), bhttp::status::ok);
    auto cookies = SetCookies(response);
    ASSERT_GE(cookies.size(), 2u);
    EXPECT_EQ(cookies[0].rfind("_stepgate=; Path=/; Max-Age=0", 0), 0u);
    EXPECT_EQ(response.body().find("evil"), std::string::npos);
    provider_.discovery_->end_session_endpoint = "https://idp.example.com/logout";
    Response provider_logout = Send("/logout?rd=%2Fbye", {});
    EXPECT_EQ(
        provider_logout[bhttp::field::location],
        "https://idp.example.com/"
        "logout?client_id=stepgate&post_logout_redirect_uri=https%3A%2F%2Fauth.example.com%2Fbye");
}

TEST_F(BrowserTest, WhoamiShowsTheSessionOr401) {
    EXPECT_EQ(Send("/whoami", {}).result(), bhttp::status::unauthorized);
    Response response = Send("/whoami", {{"Cookie", SessionCookie("2")}});
    EXPECT_EQ(response.result(), bhttp::status::ok);
    EXPECT_NE(response.body().find("\"level\":\"mfa\""), std::string::npos);
    EXPECT_NE(response.body().find("\"sub\":\"alice\""), std::string::npos);
}

}  // namespace
}  // namespace stepgate::adapters
