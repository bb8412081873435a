#include "config/config.h"

#include <gtest/gtest.h>

#include <map>

namespace stepgate::config {
namespace {

const char* kValid = R"(listen: 127.0.0.1:4180
public_url: https://auth.example.com/stepgate/
provider:
  issuer: https://idp.example.com/realms/main
  client_id: stepgate
  client_secret: ${CLIENT_SECRET}
  algorithms: [RS256, ES256]
  leeway: 1m
session:
  secret: MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=
levels:
  - name: basic
    acr: ["1"]
  - name: mfa
    acr: ["2"]
    amr_any: [otp]
rules:
  - name: payments
    hosts: ["shop.example.com"]
    paths: ["/checkout/**"]
    methods: [post, PUT]
    require: { level: mfa, max_age: 5m, claims: { tenant: [acme, globex], region: eu } }
  - name: public
    paths: ["/", "/public/**"]
    require: { level: none }
default: { require: { level: basic } }
redirect:
  allowed_domains: [".example.com"]
  default: https://www.example.com/
trusted_proxies: ["10.0.0.0/8", "::1"]
)";

EnvLookup Env(std::map<std::string, std::string> values) {
    return [values](const std::string& name) -> std::optional<std::string> {
        auto it = values.find(name);
        if (it == values.end()) return std::nullopt;
        return it->second;
    };
}

std::vector<ConfigError> Errors(const std::string& text) {
    auto result = LoadConfigText(text, "test.yaml", Env({{"CLIENT_SECRET", "s3cret"}}));
    if (result) return {};
    return result.error();
}

TEST(Config, LoadsTheContractExample) {
    auto result = LoadConfigText(kValid, "test.yaml", Env({{"CLIENT_SECRET", "s3cret"}}));
    ASSERT_TRUE(result) << result.error().front().Format();
    const Config& c = **result;
    EXPECT_EQ(c.listen, "127.0.0.1:4180");
    EXPECT_EQ(c.public_path, "/stepgate");
    EXPECT_TRUE(c.provider.client_secret.EqualsConstantTime("s3cret"));
    EXPECT_EQ(c.provider.audiences, std::vector<std::string>{"stepgate"});
    EXPECT_EQ(c.provider.leeway_seconds, 60);
    EXPECT_TRUE(c.provider.algorithms.Contains(jose::Algorithm::kES256));
    EXPECT_FALSE(c.provider.algorithms.Contains(jose::Algorithm::kPS256));
    ASSERT_EQ(c.policy.rules.size(), 2u);
    EXPECT_EQ(c.policy.rules[0].methods, (std::vector<std::string>{"POST", "PUT"}));
    EXPECT_EQ(c.policy.rules[0].require.max_age, 300);
    EXPECT_EQ(c.policy.rules[0].require.claims.size(), 2u);
    EXPECT_EQ(c.claim_names, (std::vector<std::string>{"tenant", "region"}));
    EXPECT_EQ(c.policy.rules[1].require.level, core::kNoLevel);
    EXPECT_EQ(c.policy.default_requirement.level, 0);
    EXPECT_EQ(c.session->secrets.size(), 1u);
    EXPECT_EQ(c.trusted_proxies.size(), 2u);
}

TEST(Config, UnsetEnvironmentVariableIsAnErrorAtItsNode) {
    auto result = LoadConfigText(kValid, "test.yaml", Env({}));
    ASSERT_FALSE(result);
    ASSERT_EQ(result.error().size(), 1u);
    EXPECT_EQ(
        result.error()[0].Format(),
        "test.yaml:6:18: provider.client_secret: environment variable CLIENT_SECRET is not set");
}

TEST(Config, UnknownKeyNamesItsDottedPathAndPosition) {
    std::string text = kValid;
    text.replace(text.find("    require: { level: none }"), 28, "    require: { levle: none }");
    auto errors = Errors(text);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].key, "rules[1].require.levle");
    EXPECT_EQ(errors[0].line, 25);
    EXPECT_EQ(errors[0].column, 16);
}

TEST(Config, EveryErrorIsReportedNotJustTheFirst) {
    std::string text = kValid;
    text.replace(text.find("level: mfa, max_age: 5m"), 23, "level: gold, max_age: 5x");
    text.replace(text.find("[RS256, ES256]"), 14, "[RS256, HS256]");
    auto errors = Errors(text);
    ASSERT_EQ(errors.size(), 3u);
    EXPECT_EQ(errors[0].key, "provider.algorithms[1]");
    EXPECT_EQ(errors[1].key, "rules[0].require.level");
    EXPECT_EQ(errors[2].key, "rules[0].require.max_age");
}

TEST(Config, RefusesNoneAndHmacAlgorithms) {
    std::string text = kValid;
    text.replace(text.find("[RS256, ES256]"), 14, "[none]");
    auto errors = Errors(text);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].message.find("refused"), std::string::npos);
}

TEST(Config, RefusesPlainHttpIssuerExceptLoopback) {
    std::string text = kValid;
    text.replace(text.find("https://idp.example.com"), 23, "http://idp.example.com");
    EXPECT_EQ(Errors(text).size(), 1u);
    text = kValid;
    text.replace(text.find("https://idp.example.com"), 23, "http://127.0.0.1:9000");
    EXPECT_TRUE(Errors(text).empty());
}

TEST(Config, SyntaxErrorsPointAtTheLine) {
    auto errors = Errors("listen: [unclosed\nprovider: {}\n");
    ASSERT_FALSE(errors.empty());
    EXPECT_GT(errors[0].line, 0);
}

TEST(Config, RepeatedKeysAndRuleNamesAreErrors) {
    std::string text = kValid;
    text.replace(text.find("  - name: public"), 16, "  - name: payments");
    auto errors = Errors(text);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].key, "rules[1].name");
    errors = Errors(std::string(kValid) + "listen: 0.0.0.0:1\n");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].message, "repeated key");
}

TEST(Config, GoogleCannotProveMfa) {
    std::string text = kValid;
    text.replace(text.find("  algorithms:"), 13, "  profile: google\n  algorithms:");
    auto errors = Errors(text);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].key, "rules[0].require.level");
}

TEST(Config, SecretMustBe32Bytes) {
    std::string text = kValid;
    text.replace(text.find("MDEyMzQ1"), 8, "MDE");
    auto errors = Errors(text);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].key, "session.secret");
}

TEST(Cidr, ContainsAddressesInItsBlock) {
    auto cidr = Cidr::Parse("10.0.0.0/8");
    ASSERT_TRUE(cidr);
    std::array<unsigned char, 16> inside{10, 1, 2, 3};
    std::array<unsigned char, 16> outside{11, 1, 2, 3};
    EXPECT_TRUE(cidr->Contains(inside, false));
    EXPECT_FALSE(cidr->Contains(outside, false));
    EXPECT_FALSE(cidr->Contains(inside, true));
    EXPECT_FALSE(Cidr::Parse("10.0.0.0/33"));
    EXPECT_FALSE(Cidr::Parse("banana"));
}

}  // namespace
}  // namespace stepgate::config
