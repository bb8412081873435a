#include "core/decide.h"

#include <gtest/gtest.h>

namespace stepgate::core {
namespace {

const std::vector<Level> kLevels = {
    {"basic", {"urn:stepgate:loa:pwd", "1"}, {}},
    {"mfa", {"urn:stepgate:loa:mfa", "2"}, {"mfa", "otp", "hwk"}},
};
constexpr UnixSeconds kNow = 1'800'000'000;

Identity WithAcr(std::string acr) {
    Identity identity;
    identity.subject = "alice";
    identity.acr = std::move(acr);
    identity.auth_time = kNow - 60;
    identity.level = LevelOf(kLevels, identity);
    return identity;
}

Requirement Needs(LevelIndex level) {
    Requirement requirement;
    requirement.level = level;
    return requirement;
}

TEST(LevelOf, HighestLevelProvenByAcrOrAmr) {
    EXPECT_EQ(WithAcr("1").level, 0);
    EXPECT_EQ(WithAcr("urn:stepgate:loa:mfa").level, 1);
    EXPECT_EQ(WithAcr("0").level, kNoLevel);  // Keycloak's SSO-cookie-only acr
    EXPECT_EQ(WithAcr("").level, kNoLevel);
    Identity amr = WithAcr("1");
    amr.amr = {"pwd", "otp"};
    EXPECT_EQ(LevelOf(kLevels, amr), 1);
}

TEST(AcrValuesFor, RequiredLevelFirstThenStronger) {
    EXPECT_EQ(AcrValuesFor(kLevels, 0),
              (std::vector<std::string>{"urn:stepgate:loa:pwd", "1", "urn:stepgate:loa:mfa", "2"}));
    EXPECT_EQ(AcrValuesFor(kLevels, 1), (std::vector<std::string>{"urn:stepgate:loa:mfa", "2"}));
    EXPECT_TRUE(AcrValuesFor(kLevels, kNoLevel).empty());
}

TEST(Decide, AnonymousAllowedOnlyWhereLevelIsNone) {
    EXPECT_EQ(Decide(kLevels, Needs(kNoLevel), nullptr, kNow).outcome, Outcome::kAllow);
    EXPECT_EQ(Decide(kLevels, Needs(0), nullptr, kNow).outcome, Outcome::kLogin);
    Requirement groups = Needs(kNoLevel);
    groups.groups_any = {"admins"};
    EXPECT_EQ(Decide(kLevels, groups, nullptr, kNow).outcome, Outcome::kLogin);
}

TEST(Decide, WeakerLevelMustStepUp) {
    Identity basic = WithAcr("1");
    Decision decision = Decide(kLevels, Needs(1), &basic, kNow);
    EXPECT_EQ(decision.outcome, Outcome::kStepUp);
    EXPECT_EQ(decision.reason, Reason::kLevelTooLow);
    Identity mfa = WithAcr("2");
    EXPECT_EQ(Decide(kLevels, Needs(1), &mfa, kNow).outcome, Outcome::kAllow);
    EXPECT_EQ(Decide(kLevels, Needs(0), &mfa, kNow).outcome,
              Outcome::kAllow);  // stronger meets weaker
}

TEST(Decide, IdentityWithNoLevelStepsUpEverywhereAboveNone) {
    Identity none = WithAcr("0");
    Decision decision = Decide(kLevels, Needs(0), &none, kNow);
    EXPECT_EQ(decision.outcome, Outcome::kStepUp);
    EXPECT_EQ(decision.reason, Reason::kLevelUnproven);
    EXPECT_EQ(Decide(kLevels, Needs(kNoLevel), &none, kNow).outcome, Outcome::kAllow);
}

TEST(Decide, MaxAgeAgainstAuthTime) {
    Requirement fresh = Needs(1);
    fresh.max_age = 300;
    Identity mfa = WithAcr("2");
    mfa.auth_time = kNow - 300;
    EXPECT_EQ(Decide(kLevels, fresh, &mfa, kNow).outcome, Outcome::kAllow);
    mfa.auth_time = kNow - 301;
    EXPECT_EQ(Decide(kLevels, fresh, &mfa, kNow).reason, Reason::kAuthTooOld);
    mfa.auth_time.reset();
    EXPECT_EQ(Decide(kLevels, fresh, &mfa, kNow).reason, Reason::kAuthTimeMissing);
}

TEST(Decide, WhatSteppingUpCannotFixIsForbiddenFirst) {
    Requirement admin = Needs(1);
    admin.groups_any = {"admins"};
    Identity basic = WithAcr("1");
    basic.groups = {"staff"};
    EXPECT_EQ(Decide(kLevels, admin, &basic, kNow).outcome, Outcome::kForbidden);
    basic.groups = {"staff", "admins"};
    EXPECT_EQ(Decide(kLevels, admin, &basic, kNow).outcome, Outcome::kStepUp);
}

TEST(Decide, GroupsAllScopesAndClaims) {
    Identity id = WithAcr("2");
    id.groups = {"a", "b"};
    id.scopes = {"read"};
    id.claims = {{"tenant", {"acme"}}};
    Requirement all = Needs(0);
    all.groups_all = {"a", "b"};
    EXPECT_EQ(Decide(kLevels, all, &id, kNow).outcome, Outcome::kAllow);
    all.groups_all = {"a", "c"};
    EXPECT_EQ(Decide(kLevels, all, &id, kNow).reason, Reason::kGroupMissing);

    Requirement scopes = Needs(0);
    scopes.scopes_all = {"read", "write"};
    EXPECT_EQ(Decide(kLevels, scopes, &id, kNow).outcome, Outcome::kInsufficientScope);

    Requirement claims = Needs(0);
    claims.claims = {{"tenant", {"acme", "globex"}}};
    EXPECT_EQ(Decide(kLevels, claims, &id, kNow).outcome, Outcome::kAllow);
    claims.claims = {{"tenant", {"globex"}}};
    EXPECT_EQ(Decide(kLevels, claims, &id, kNow).reason, Reason::kClaimMismatch);
    claims.claims = {{"region", {"eu"}}};
    EXPECT_EQ(Decide(kLevels, claims, &id, kNow).reason, Reason::kClaimMismatch);
}

TEST(Decide, TraceExplainsEachCheck) {
    Requirement fresh = Needs(1);
    fresh.max_age = 300;
    Identity basic = WithAcr("1");
    Trace trace;
    Decide(kLevels, fresh, &basic, kNow, &trace);
    ASSERT_FALSE(trace.lines.empty());
    EXPECT_NE(trace.lines.front().find("requires mfa, has basic"), std::string::npos);
}

}  // namespace
}  // namespace stepgate::core
