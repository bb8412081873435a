#include "adapters/handler.h"

#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>
#include <map>

#include "jose/jwt.h"
#include "oidc/provider.h"
#include "unit/jose/token_factory.h"

namespace stepgate::adapters {
namespace {

namespace bhttp = boost::beast::http;
using jose::testing::SharedTestKeys;

constexpr std::int64_t kNow = 1'800'000'000;
const char* kIssuer = "https://idp.example.com";

const char* kConfig = R"(public_url: https://auth.example.com/stepgate
provider:
  issuer: https://idp.example.com
  client_id: stepgate
  audiences: [stepgate-api]
session:
  secret: MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=
levels:
  - name: basic
    acr: ["urn:stepgate:loa:pwd", "1"]
  - name: mfa
    acr: ["urn:stepgate:loa:mfa", "2"]
    amr_any: [otp]
rules:
  - name: payments
    paths: ["/checkout/**"]
    methods: [POST]
    require: { level: mfa, max_age: 5m }
  - name: admin
    paths: ["/admin/**"]
    require: { level: basic, groups_any: [admins] }
  - name: reports
    paths: ["/reports/**"]
    require: { scopes_all: ["reports:read"] }
  - name: public
    paths: ["/", "/public/**"]
    require: { level: none }
default: { require: { level: basic } }
)";

class StaticKeys final : public KeySource {
 public:
    explicit StaticKeys(std::shared_ptr<const jose::KeySet> keys) : keys_(std::move(keys)) {}
    std::shared_ptr<const jose::KeySet> Keys() const override { return keys_; }

 private:
    std::shared_ptr<const jose::KeySet> keys_;
};

class HandlerTest : public ::testing::Test {
 protected:
    HandlerTest() : clock_(kNow) {
        observability::SetLogLevel(observability::LogLevel::kOff);
        auto config = config::LoadConfigText(kConfig, "test.yaml");
        EXPECT_TRUE(config);
        nlohmann::json keys =
            nlohmann::json::array({jose::testing::PublicJwk(SharedTestKeys().rsa.get(), "k1")});
        auto set = jose::KeySet::Parse(jose::testing::JwksOf(keys));
        EXPECT_TRUE(set);
        keys_ = std::make_unique<StaticKeys>(std::make_shared<const jose::KeySet>(std::move(*set)));
        auto snapshot = Snapshot::Build(*config);
        EXPECT_TRUE(snapshot);
        runtime_ = std::make_unique<Runtime>(*snapshot, *keys_, clock_);
    }

    std::string Token(nlohmann::json claims, std::string kid = "k1") {
        nlohmann::json base = {
            {"iss", kIssuer}, {"aud", "stepgate-api"},  {"sub", "alice"}, {"exp", kNow + 300},
            {"iat", kNow},    {"auth_time", kNow - 10}, {"acr", "1"}};
        if (claims.is_object()) base.update(claims);
        nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", kid}};
        return jose::testing::MakeToken(header.dump(), base.dump(), jose::Algorithm::kRS256,
                                        SharedTestKeys().rsa.get());
    }

    Response Send(std::string target, std::map<std::string, std::string> headers,
                  bhttp::verb verb = bhttp::verb::get,
                  HandleStatus expected = HandleStatus::kDone) {
        Request request{verb, target, 11};
        for (const auto& [name, value] : headers) request.insert(name, value);
        Response response;
        EXPECT_EQ(HandleRequest(*runtime_, request, response, {"127.0.0.1"}, true), expected);
        return response;
    }

    Response Auth(std::string url, std::string token = "", std::string method = "GET",
                  std::string auth_query = "") {
        std::map<std::string, std::string> headers{{"X-Original-URL", url},
                                                   {"X-Original-Method", method}};
        if (!token.empty()) headers["Authorization"] = "Bearer " + token;
        return Send("/auth" + auth_query, headers);
    }

    FixedClock clock_;
    std::unique_ptr<StaticKeys> keys_;
    std::unique_ptr<Runtime> runtime_;
};

std::string Header(const Response& response, std::string_view name) {
    return std::string(response[name]);
}

TEST_F(HandlerTest, AuthWithoutItsHeaderFamilyIs400) {
    EXPECT_EQ(Send("/auth", {}).result(), bhttp::status::bad_request);
    EXPECT_EQ(Send("/auth", {{"X-Original-URL", "https://a.example.com/"}}).result(),
              bhttp::status::bad_request);
    // /auth ignores Traefik's family: a client could have sent it through ingress-nginx.
    EXPECT_EQ(Send("/auth", {{"X-Forwarded-Host", "a.example.com"},
                             {"X-Forwarded-Uri", "/public"},
                             {"X-Forwarded-Method", "GET"}})
                  .result(),
              bhttp::status::bad_request);
}

TEST_F(HandlerTest, DuplicatedOriginalUrlIs400) {
    Request request{bhttp::verb::get, "/auth", 11};
    request.insert("X-Original-URL", "https://a.example.com/public");
    request.insert("X-Original-URL", "https://a.example.com/admin");
    request.insert("X-Original-Method", "GET");
    Response response;
    HandleRequest(*runtime_, request, response, {}, true);
    EXPECT_EQ(response.result(), bhttp::status::bad_request);
}

TEST_F(HandlerTest, DotSegmentsAndDoubleEncodingAre400) {
    EXPECT_EQ(Auth("https://a.example.com/public/../admin").result(), bhttp::status::bad_request);
    EXPECT_EQ(Auth("https://a.example.com/public/%2e%2e/admin").result(),
              bhttp::status::bad_request);
    EXPECT_EQ(Auth("https://a.example.com/public%252F..%252Fadmin").result(),
              bhttp::status::bad_request);
    EXPECT_EQ(Auth("https://a.example.com/public#x").result(), bhttp::status::bad_request);
    EXPECT_EQ(Auth("/public").result(), bhttp::status::bad_request);
}

TEST_F(HandlerTest, AnonymousOnPublicRouteIsAllowedWithoutIdentityHeaders) {
    Response response = Auth("https://a.example.com/public/page");
    EXPECT_EQ(response.result(), bhttp::status::ok);
    EXPECT_EQ(response.count("X-Auth-Request-User"), 0u);
}

TEST_F(HandlerTest, AnonymousOnProtectedRouteIs401WithBearerChallenge) {
    Response response = Auth("https://a.example.com/private");
    EXPECT_EQ(response.result(), bhttp::status::unauthorized);
    EXPECT_EQ(Header(response, "WWW-Authenticate"), "Bearer");
}

TEST_F(HandlerTest, ValidTokenIsAllowedWithIdentityHeaders) {
    Response response =
        Auth("https://a.example.com/private", Token({{"email", "alice@example.com"},
                                                     {"groups", {"staff", "ops"}},
                                                     {"amr", {"pwd"}},
                                                     {"preferred_username", "alice"}}));
    EXPECT_EQ(response.result(), bhttp::status::ok);
    EXPECT_EQ(Header(response, "X-Auth-Request-User"), "alice");
    EXPECT_EQ(Header(response, "X-Auth-Request-Email"), "alice@example.com");
    EXPECT_EQ(Header(response, "X-Auth-Request-Preferred-Username"), "alice");
    EXPECT_EQ(Header(response, "X-Auth-Request-Groups"), "staff,ops");
    EXPECT_EQ(Header(response, "X-Auth-Request-Level"), "basic");
    EXPECT_EQ(Header(response, "X-Auth-Request-Acr"), "1");
    EXPECT_EQ(Header(response, "X-Auth-Request-Amr"), "pwd");
    EXPECT_EQ(Header(response, "X-Auth-Request-Auth-Time"), std::to_string(kNow - 10));
}

TEST_F(HandlerTest, HeaderValuesThatCouldInjectAreLeftOut) {
    Response response = Auth("https://a.example.com/private",
                             Token({{"email", "a@example.com\r\nX-Auth-Request-User: root"}}));
    EXPECT_EQ(response.result(), bhttp::status::ok);
    EXPECT_EQ(response.count("X-Auth-Request-Email"), 0u);
    EXPECT_EQ(Header(response, "X-Auth-Request-User"), "alice");
}

TEST_F(HandlerTest, WeakTokenGetsTheRfc9470Challenge) {
    Response response = Auth("https://shop.example.com/checkout/pay", Token({}), "POST");
    EXPECT_EQ(response.result(), bhttp::status::unauthorized);
    EXPECT_EQ(Header(response, "WWW-Authenticate"),
              "Bearer error=\"insufficient_user_authentication\", error_description=\"a stronger "
              "authentication is required\", acr_values=\"urn:stepgate:loa:mfa 2\", max_age=300");
}

TEST_F(HandlerTest, StaleMfaTokenMustAuthenticateAgain) {
    Response response = Auth("https://shop.example.com/checkout/pay",
                             Token({{"acr", "2"}, {"auth_time", kNow - 301}}), "POST");
    EXPECT_EQ(response.result(), bhttp::status::unauthorized);
    EXPECT_NE(Header(response, "WWW-Authenticate").find("a more recent authentication"),
              std::string::npos);
    EXPECT_EQ(Auth("https://shop.example.com/checkout/pay", Token({{"acr", "2"}}), "POST").result(),
              bhttp::status::ok);
    // The rule names POST only: GET falls to the default (basic).
    EXPECT_EQ(Auth("https://shop.example.com/checkout/pay", Token({})).result(), bhttp::status::ok);
}

TEST_F(HandlerTest, LowerCaseMethodsMeetTheRulesForTheirUpperCase) {
    EXPECT_EQ(Auth("https://shop.example.com/checkout/pay", Token({}), "post").result(),
              bhttp::status::unauthorized);
}

TEST_F(HandlerTest, ThePublicPathItselfIsNotFoundNotACrash) {
    EXPECT_EQ(Send("/stepgate", {}).result(), bhttp::status::not_found);
    EXPECT_EQ(Send("/stepgate?x=1", {}).result(), bhttp::status::not_found);
    EXPECT_EQ(Send("/stepgate/ext-authz/public/x", {{"Host", "app.example.com"}}).result(),
              bhttp::status::ok);
}

TEST_F(HandlerTest, AuthTimeInTheFutureIsRefused) {
    EXPECT_EQ(Auth("https://a.example.com/private", Token({{"auth_time", kNow + 3600}})).result(),
              bhttp::status::unauthorized);
}

TEST_F(HandlerTest, ListValuesWithCommasAreLeftOutOfHeaders) {
    Response response =
        Auth("https://a.example.com/private", Token({{"groups", {"staff", "x,admins"}}}));
    EXPECT_EQ(Header(response, "X-Auth-Request-Groups"), "staff");
}

TEST_F(HandlerTest, MissingGroupIs403AndMissingScopeNamesIt) {
    EXPECT_EQ(Auth("https://a.example.com/admin/x", Token({})).result(), bhttp::status::forbidden);
    EXPECT_EQ(Auth("https://a.example.com/admin/x", Token({{"groups", {"admins"}}})).result(),
              bhttp::status::ok);
    Response scope = Auth("https://a.example.com/reports/q", Token({{"scope", "openid email"}}));
    EXPECT_EQ(scope.result(), bhttp::status::forbidden);
    EXPECT_NE(Header(scope, "WWW-Authenticate").find("error=\"insufficient_scope\""),
              std::string::npos);
    EXPECT_NE(Header(scope, "WWW-Authenticate").find("scope=\"reports:read\""), std::string::npos);
    EXPECT_EQ(
        Auth("https://a.example.com/reports/q", Token({{"scope", "openid reports:read"}})).result(),
        bhttp::status::ok);
}

TEST_F(HandlerTest, InvalidTokensAre401InvalidTokenEvenOnPublicRoutes) {
    const std::string token = Token({});
    std::string tampered = token;
    tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
    for (const std::string& bad :
         {tampered, std::string("abc"), Token({{"exp", kNow - 100}}),
          Token({{"iss", std::string(kIssuer) + "/"}}), std::string(17000, 'a')}) {
        Response response = Auth("https://a.example.com/public", bad);
        EXPECT_EQ(response.result(), bhttp::status::unauthorized);
        EXPECT_EQ(Header(response, "WWW-Authenticate").rfind("Bearer error=\"invalid_token\"", 0),
                  0u);
    }
}

TEST_F(HandlerTest, UnknownKidAsksForAKeyRefreshOnce) {
    const std::string token = Token({}, "rotated");
    Request request{bhttp::verb::get, "/auth", 11};
    request.insert("X-Original-URL", "https://a.example.com/private");
    request.insert("X-Original-Method", "GET");
    request.insert("Authorization", "Bearer " + token);
    Response response;
    EXPECT_EQ(HandleRequest(*runtime_, request, response, {}, true),
              HandleStatus::kNeedsKeyRefresh);
    Response after;
    EXPECT_EQ(HandleRequest(*runtime_, request, after, {}, false), HandleStatus::kDone);
    EXPECT_EQ(after.result(), bhttp::status::unauthorized);
}

TEST_F(HandlerTest, PinsOverrideRulesAndBadPinsAre500) {
    EXPECT_EQ(Auth("https://a.example.com/public", Token({}), "GET", "?level=mfa").result(),
              bhttp::status::unauthorized);
    EXPECT_EQ(
        Auth("https://a.example.com/public", Token({{"acr", "2"}}), "GET", "?level=mfa&max_age=300")
            .result(),
        bhttp::status::ok);
    EXPECT_EQ(Auth("https://a.example.com/public", Token({}), "GET", "?policy=admin").result(),
              bhttp::status::forbidden);
    EXPECT_EQ(Auth("https://a.example.com/public", Token({}), "GET", "?level=gold").result(),
              bhttp::status::internal_server_error);
    EXPECT_EQ(Auth("https://a.example.com/public", "", "GET", "?bogus=1").result(),
              bhttp::status::internal_server_error);
}

TEST_F(HandlerTest, ForwardAuthRedirectsBrowsersToStartWithThePins) {
    Response response =
        Send("/forward-auth?level=mfa", {{"X-Forwarded-Proto", "https"},
                                         {"X-Forwarded-Host", "app.example.com"},
                                         {"X-Forwarded-Uri", "/private/page?x=1"},
                                         {"X-Forwarded-Method", "GET"},
                                         {"X-Original-URL", "https://app.example.com/public"}});
    EXPECT_EQ(response.result(), bhttp::status::found);
    EXPECT_EQ(Header(response, "Location"),
              "https://auth.example.com/stepgate/"
              "start?rd=https%3A%2F%2Fapp.example.com%2Fprivate%2Fpage%3Fx%3D1"
              "&level=mfa");
}

TEST_F(HandlerTest, ForwardAuthAnswersJsonCallersWith401) {
    Response response = Send("/forward-auth", {{"X-Forwarded-Host", "app.example.com"},
                                               {"X-Forwarded-Uri", "/private"},
                                               {"X-Forwarded-Method", "GET"},
                                               {"Accept", "application/json"}});
    EXPECT_EQ(response.result(), bhttp::status::unauthorized);
    EXPECT_NE(response.body().find("\"start_url\":\"https://auth.example.com/stepgate/start?rd="),
              std::string::npos);
}

TEST_F(HandlerTest, ForwardAuthNeverRedirectsApiCalls) {
    Response response = Send("/forward-auth", {{"X-Forwarded-Host", "app.example.com"},
                                               {"X-Forwarded-Uri", "/checkout/x"},
                                               {"X-Forwarded-Method", "POST"},
                                               {"Authorization", "Bearer " + Token({})}});
    EXPECT_EQ(response.result(), bhttp::status::unauthorized);
    EXPECT_NE(Header(response, "WWW-Authenticate").find("insufficient_user_authentication"),
              std::string::npos);
}

TEST_F(HandlerTest, ExtAuthzReadsItsOwnRequestLineAndHost) {
    Response allowed = Send("/ext-authz/public/x?admin=1", {{"Host", "app.example.com"}});
    EXPECT_EQ(allowed.result(), bhttp::status::ok);
    Response redirect =
        Send("/ext-authz/checkout/x?q=1", {{"Host", "app.example.com"}}, bhttp::verb::post);
    EXPECT_EQ(redirect.result(), bhttp::status::found);
    EXPECT_EQ(Header(redirect, "Location"),
              "https://auth.example.com/stepgate/"
              "start?rd=https%3A%2F%2Fapp.example.com%2Fcheckout%2Fx%3Fq%3D1");
    // The query is the caller's and never pins.
    EXPECT_EQ(Send("/ext-authz/public?level=mfa", {{"Host", "app.example.com"}}).result(),
              bhttp::status::ok);
    EXPECT_EQ(Send("/ext-authz/public", {}).result(), bhttp::status::bad_request);
}

TEST_F(HandlerTest, ExtAuthzAllowTellsEnvoyToRemoveTheIdentityHeadersItLacks) {
    Response response = Send("/ext-authz/private", {{"Host", "app.example.com"},
                                                    {"Authorization", "Bearer " + Token({})}});
    EXPECT_EQ(response.result(), bhttp::status::ok);
    EXPECT_EQ(Header(response, "x-envoy-auth-headers-to-remove"),
              "x-auth-request-email,x-auth-request-preferred-username,x-auth-request-groups,"
              "x-auth-request-amr");
    Response anonymous = Send("/ext-authz/public/x", {{"Host", "app.example.com"}});
    EXPECT_NE(Header(anonymous, "x-envoy-auth-headers-to-remove").find("x-auth-request-user"),
              std::string::npos);
    // /auth and /forward-auth proxies replace what they copy: no such header there.
    EXPECT_EQ(
        Auth("https://a.example.com/private", Token({})).count("x-envoy-auth-headers-to-remove"),
        0u);
}

TEST_F(HandlerTest, ExtAuthzPinnedTakesPinsFromThePath) {
    Response response =
        Send("/ext-authz-pinned/level=mfa&max_age=300/public/x", {{"Host", "app.example.com"}});
    EXPECT_EQ(response.result(), bhttp::status::found);
    EXPECT_NE(Header(response, "Location").find("&level=mfa&max_age=300"), std::string::npos);
    EXPECT_EQ(Send("/ext-authz-pinned/level=gold/x", {{"Host", "a.example.com"}}).result(),
              bhttp::status::internal_server_error);
}

TEST_F(HandlerTest, EndpointsAreAlsoServedUnderThePublicPath) {
    EXPECT_EQ(Send("/stepgate/healthz", {}).result(), bhttp::status::ok);
    EXPECT_EQ(Send("/stepgate/auth", {{"X-Original-URL", "https://a.example.com/public"},
                                      {"X-Original-Method", "GET"}})
                  .result(),
              bhttp::status::ok);
    EXPECT_EQ(Send("/stepgateauth", {}).result(), bhttp::status::not_found);
}

TEST_F(HandlerTest, ReadinessFollowsTheKeysAndDraining) {
    EXPECT_EQ(Send("/readyz", {}).result(), bhttp::status::ok);
    runtime_->SetDraining();
    EXPECT_EQ(Send("/readyz", {}).result(), bhttp::status::service_unavailable);
}

TEST_F(HandlerTest, MetricsCountDecisions) {
    Auth("https://a.example.com/private");
    Response metrics = Send("/metrics", {});
    EXPECT_NE(metrics.body().find("stepgate_decisions_total{outcome=\"login\"} 1"),
              std::string::npos);
    EXPECT_NE(
        metrics.body().find("stepgate_rule_decisions_total{rule=\"default\",outcome=\"login\"} 1"),
        std::string::npos);
    Auth("https://a.example.com/public/x");
    metrics = Send("/metrics", {});
    EXPECT_NE(
        metrics.body().find("stepgate_rule_decisions_total{rule=\"public\",outcome=\"allow\"} 1"),
        std::string::npos);
    EXPECT_NE(metrics.body().find("stepgate_decision_duration_seconds_count 2"), std::string::npos);
    EXPECT_NE(metrics.body().find("stepgate_decision_duration_seconds_bucket{le=\"+Inf\"} 2"),
              std::string::npos);
}

}  // namespace
}  // namespace stepgate::adapters
