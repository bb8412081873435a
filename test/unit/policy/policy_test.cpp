#include "policy/policy.h"

#include <gtest/gtest.h>

#include "policy/pins.h"

namespace stepgate::policy {
namespace {

PathPattern Path(std::string_view text, bool ci = false) {
    auto pattern = PathPattern::Parse(text, ci);
    EXPECT_TRUE(pattern) << text;
    return *pattern;
}

TEST(PathPattern, DoubleStarMatchesThePrefixAndEverythingBelow) {
    auto admin = Path("/admin/**");
    EXPECT_TRUE(admin.Matches("/admin"));
    EXPECT_TRUE(admin.Matches("/admin/"));
    EXPECT_TRUE(admin.Matches("/admin/users/1"));
    EXPECT_FALSE(admin.Matches("/administrator"));
    EXPECT_FALSE(admin.Matches("/"));
    EXPECT_TRUE(Path("/**").Matches("/"));
    EXPECT_TRUE(Path("/**").Matches("/anything/at/all"));
}

TEST(PathPattern, StarMatchesOneSegment) {
    auto users = Path("/api/*/profile");
    EXPECT_TRUE(users.Matches("/api/42/profile"));
    EXPECT_FALSE(users.Matches("/api/profile"));
    EXPECT_FALSE(users.Matches("/api/1/2/profile"));
    EXPECT_TRUE(Path("/files/*.pdf").Matches("/files/report.pdf"));
    EXPECT_FALSE(Path("/files/*.pdf").Matches("/files/report.txt"));
    EXPECT_TRUE(Path("/api/**/edit").Matches("/api/a/b/edit"));
    EXPECT_TRUE(Path("/api/**/edit").Matches("/api/edit"));
}

TEST(PathPattern, ExactMatchesOnlyItself) {
    auto root = Path("/");
    EXPECT_TRUE(root.Matches("/"));
    EXPECT_FALSE(root.Matches("/x"));
    EXPECT_TRUE(Path("/healthz").Matches("/healthz"));
    // A trailing slash is the same route to most routers: it cannot escape an exact pattern.
    EXPECT_TRUE(Path("/healthz").Matches("/healthz/"));
    EXPECT_TRUE(Path("/api/*").Matches("/api/x/"));
    EXPECT_FALSE(Path("/api/*").Matches("/api/"));
    EXPECT_FALSE(Path("/healthz").Matches("/HEALTHZ"));
    EXPECT_TRUE(Path("/Admin/**", true).Matches("/admin/x"));
}

TEST(PathPattern, RefusesMalformedPatterns) {
    EXPECT_FALSE(PathPattern::Parse("admin", false));
    EXPECT_FALSE(PathPattern::Parse("/a//b", false));
    EXPECT_FALSE(PathPattern::Parse("/a/../b", false));
    EXPECT_FALSE(PathPattern::Parse("/a**", false));
}

TEST(HostPattern, ExactAndWildcard) {
    auto exact = *HostPattern::Parse("Shop.Example.com.");
    EXPECT_TRUE(exact.Matches("shop.example.com"));
    EXPECT_FALSE(exact.Matches("evil-shop.example.com"));
    auto wildcard = *HostPattern::Parse("*.admin.example.com");
    EXPECT_TRUE(wildcard.Matches("a.admin.example.com"));
    EXPECT_TRUE(wildcard.Matches("a.b.admin.example.com"));
    EXPECT_FALSE(wildcard.Matches("admin.example.com"));
    EXPECT_FALSE(wildcard.Matches("evaladmin.example.com"));
    EXPECT_FALSE(HostPattern::Parse("*."));
    EXPECT_FALSE(HostPattern::Parse("a b"));
}

Policy SamplePolicy() {
    Policy policy;
    policy.levels = {{"basic", {"1"}, {}}, {"mfa", {"2"}, {"otp"}}};
    Rule payments{"payments",
                  {*HostPattern::Parse("shop.example.com")},
                  {Path("/checkout/**")},
                  {"POST"},
                  {}};
    payments.require.level = 1;
    payments.require.max_age = 300;
    Rule public_rule{"public", {}, {Path("/"), Path("/public/**")}, {}, {}};
    public_rule.require.level = core::kNoLevel;
    policy.rules = {payments, public_rule};
    policy.default_requirement.level = 0;
    return policy;
}

TEST(Policy, FirstMatchWinsAndMethodsAndHostsNarrow) {
    Policy policy = SamplePolicy();
    EXPECT_EQ(policy.Match("shop.example.com", "/checkout/pay", "POST")->name, "payments");
    EXPECT_EQ(policy.Match("shop.example.com", "/checkout/pay", "GET"), nullptr);
    EXPECT_EQ(policy.Match("other.example.com", "/checkout/pay", "POST"), nullptr);
    EXPECT_EQ(policy.Match("any", "/public/x", "GET")->name, "public");
    EXPECT_EQ(policy.FindLevel("none"), core::kNoLevel);
    EXPECT_EQ(policy.FindLevel("mfa"), 1);
    EXPECT_FALSE(policy.FindLevel("gold"));
}

TEST(Pins, InlinePinsReplaceTheRuleAndNeedTheWeakestLevelByDefault) {
    Policy policy = SamplePolicy();
    auto pins = ParsePins("groups_any=admins,ops", policy);
    ASSERT_TRUE(pins);
    ASSERT_TRUE(pins->has_value());
    EXPECT_EQ((*pins)->requirement.level, 0);
    EXPECT_EQ((*pins)->requirement.groups_any, (std::vector<std::string>{"admins", "ops"}));
    auto mfa = ParsePins("level=mfa&max_age=300", policy);
    ASSERT_TRUE(mfa && mfa->has_value());
    EXPECT_EQ((*mfa)->requirement.level, 1);
    EXPECT_EQ((*mfa)->requirement.max_age, 300);
    EXPECT_EQ((*mfa)->query, "level=mfa&max_age=300");
    auto minutes = ParsePins("max_age=5m", policy);
    ASSERT_TRUE(minutes && minutes->has_value());
    EXPECT_EQ((*minutes)->requirement.max_age, 300);
}

TEST(Pins, PolicyPinTakesTheNamedRule) {
    Policy policy = SamplePolicy();
    auto pins = ParsePins("policy=payments", policy);
    ASSERT_TRUE(pins && pins->has_value());
    EXPECT_EQ((*pins)->rule_name, "payments");
    EXPECT_EQ((*pins)->requirement.max_age, 300);
}

TEST(Pins, EmptyQueryPinsNothing) {
    auto pins = ParsePins("", SamplePolicy());
    ASSERT_TRUE(pins);
    EXPECT_FALSE(pins->has_value());
}

TEST(Pins, OperatorMistakesAreErrors) {
    Policy policy = SamplePolicy();
    EXPECT_EQ(ParsePins("level=gold", policy).error(), PinError::kUnknownLevel);
    EXPECT_EQ(ParsePins("policy=nope", policy).error(), PinError::kUnknownPolicy);
    EXPECT_EQ(ParsePins("levle=mfa", policy).error(), PinError::kUnknownKey);
    EXPECT_EQ(ParsePins("level=mfa&level=basic", policy).error(), PinError::kDuplicateKey);
    EXPECT_EQ(ParsePins("max_age=soon", policy).error(), PinError::kBadValue);
    EXPECT_EQ(ParsePins("max_age=-5", policy).error(), PinError::kBadValue);
    EXPECT_EQ(ParsePins("level=", policy).error(), PinError::kBadValue);
    EXPECT_EQ(ParsePins("groups_any=a,,b", policy).error(), PinError::kBadValue);
    EXPECT_EQ(ParsePins("policy=payments&level=mfa", policy).error(), PinError::kPolicyAndInline);
    EXPECT_EQ(ParsePins("level=%zz", policy).error(), PinError::kBadValue);
}

TEST(Pins, IgnoredKeysAreSkipped) {
    auto pins = ParsePins("rd=https%3A%2F%2Fx&level=mfa", SamplePolicy(), {"rd"});
    ASSERT_TRUE(pins && pins->has_value());
    EXPECT_EQ((*pins)->requirement.level, 1);
}

}  // namespace
}  // namespace stepgate::policy
