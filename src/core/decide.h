// THE DECISION CORE: pure. Given what a route requires and who the caller is, decide.
// No I/O, no clock (time is a parameter), no allocation unless a trace is asked for.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "core/identity.h"
#include "core/requirement.h"

namespace stepgate::core {

enum class Outcome {
    kAllow,
    kLogin,              // no credentials: sign in
    kStepUp,             // signed in, but too weak or too old: authenticate again, stronger
    kInsufficientScope,  // bearer token lacks a scope: stepping up cannot help
    kForbidden,          // groups or claims missing: stepping up cannot help
    kInvalidToken,       // the bearer token presented is not valid
};

enum class Reason {
    kAnonymousAllowed,
    kRequirementMet,
    kNoCredentials,
    kInvalidToken,
    kLevelUnproven,  // the identity proves no configured level
    kLevelTooLow,
    kAuthTimeMissing,  // max_age set but the identity has no auth_time
    kAuthTooOld,
    kScopeMissing,
    kGroupMissing,
    kClaimMismatch,
};

struct Decision {
    Outcome outcome = Outcome::kInvalidToken;  // fail closed until decided
    Reason reason = Reason::kInvalidToken;
};

// Fixed text for logs and error_description. Never carries input.
std::string_view Describe(Reason reason);
std::string_view Describe(Outcome outcome);

// Lines explaining each check, for `stepgate explain`. Only filled when passed.
struct Trace {
    std::vector<std::string> lines;
};

// Decides a request whose credentials, if any, verified into `identity` (nullptr when the
// caller presented none). Identity::level must already be set (LevelOf).
Decision Decide(const std::vector<Level>& levels, const Requirement& requirement,
                const Identity* identity, UnixSeconds now, Trace* trace = nullptr);

}  // namespace stepgate::core
