#include "core/decide.h"

#include <algorithm>
#include <concepts>

namespace stepgate::core {

namespace {

bool Contains(const std::vector<std::string>& values, std::string_view value) {
    return std::find(values.begin(), values.end(), value) != values.end();
}

std::string LevelName(const std::vector<Level>& levels, LevelIndex level) {
    if (level < 0 || static_cast<std::size_t>(level) >= levels.size()) return "none";
    return levels[static_cast<std::size_t>(level)].name;
}

std::string Join(const std::vector<std::string>& values) {
    std::string joined;
    for (const auto& value : values) {
        if (!joined.empty()) joined += ", ";
        joined += value;
    }
    return joined.empty() ? "(none)" : joined;
}

void Note(Trace* trace, std::string_view line) {
    if (trace != nullptr) trace->lines.emplace_back(line);
}

// A line built from parts is built only for a trace (`stepgate explain`): requests decide
// without one, and would pay for the concatenations for nothing.
template <typename MakeLine>
requires std::invocable<MakeLine&>
void Note(Trace* trace, MakeLine&& make_line) {
    if (trace != nullptr) trace->lines.push_back(make_line());
}

Decision Conclude(Trace* /*trace*/, Outcome outcome, Reason reason) {
    return Decision{outcome, reason};
}

}  // namespace

std::string_view Describe(Reason reason) {
    switch (reason) {
        case Reason::kAnonymousAllowed:
            return "the route allows anonymous access";
        case Reason::kRequirementMet:
            return "the requirement is met";
        case Reason::kNoCredentials:
            return "authentication is required";
        case Reason::kInvalidToken:
            return "the access token is not valid";
        case Reason::kLevelUnproven:
            return "the authentication proves no assurance level";
        case Reason::kLevelTooLow:
            return "a stronger authentication is required";
        case Reason::kAuthTimeMissing:
            return "the authentication time is unknown";
        case Reason::kAuthTooOld:
            return "a more recent authentication is required";
        case Reason::kScopeMissing:
            return "the token lacks a required scope";
        case Reason::kGroupMissing:
            return "a required group membership is missing";
        case Reason::kClaimMismatch:
            return "a required claim is missing or differs";
    }
    return "denied";
}

std::string_view Describe(Outcome outcome) {
    switch (outcome) {
        case Outcome::kAllow:
            return "allow";
        case Outcome::kLogin:
            return "login";
        case Outcome::kStepUp:
            return "step_up";
        case Outcome::kInsufficientScope:
            return "insufficient_scope";
        case Outcome::kForbidden:
            return "forbidden";
        case Outcome::kInvalidToken:
            return "invalid_token";
    }
    return "deny";
}

Decision Decide(const std::vector<Level>& levels, const Requirement& requirement,
                const Identity* identity, UnixSeconds now, Trace* trace) {
    if (identity == nullptr) {
        if (requirement.AllowsAnonymous()) {
            return Conclude(trace, Outcome::kAllow, Reason::kAnonymousAllowed);
        }
        Note(trace, "identity: none presented");
        return Conclude(trace, Outcome::kLogin, Reason::kNoCredentials);
    }

    // First what stepping up cannot fix (CONTRACT: 403 when stepping up cannot help), so a
    // user is never sent through MFA only to be refused afterwards.
    for (const auto& scope : requirement.scopes_all) {
        if (!Contains(identity->scopes, scope)) {
            Note(trace, [&] {
                return "scopes_all: missing " + scope + " (has " + Join(identity->scopes) + ")";
            });
            return Conclude(trace, Outcome::kInsufficientScope, Reason::kScopeMissing);
        }
    }
    if (!requirement.scopes_all.empty()) Note(trace, "scopes_all: met");

    if (!requirement.groups_any.empty()) {
        const bool any =
            std::any_of(requirement.groups_any.begin(), requirement.groups_any.end(),
                        [&](const std::string& g) { return Contains(identity->groups, g); });
        if (!any) {
            Note(trace, [&] {
                return "groups_any: none of " + Join(requirement.groups_any) + " (has " +
                       Join(identity->groups) + ")";
            });
            return Conclude(trace, Outcome::kForbidden, Reason::kGroupMissing);
        }
        Note(trace, "groups_any: met");
    }
    for (const auto& group : requirement.groups_all) {
        if (!Contains(identity->groups, group)) {
            Note(trace, [&] {
                return "groups_all: missing " + group + " (has " + Join(identity->groups) + ")";
            });
            return Conclude(trace, Outcome::kForbidden, Reason::kGroupMissing);
        }
    }
    if (!requirement.groups_all.empty()) Note(trace, "groups_all: met");

    for (const auto& claim : requirement.claims) {
        const ClaimValues* held = identity->FindClaim(claim.name);
        const bool met = held != nullptr && std::any_of(held->values.begin(), held->values.end(),
                                                        [&](const std::string& v) {
                                                            return Contains(claim.accepted, v);
                                                        });
        if (!met) {
            Note(trace, [&] {
                return "claims." + claim.name + ": not one of " + Join(claim.accepted) + " (has " +
                       (held ? Join(held->values) : std::string("(absent)")) + ")";
            });
            return Conclude(trace, Outcome::kForbidden, Reason::kClaimMismatch);
        }
        Note(trace, [&] { return "claims." + claim.name + ": met"; });
    }

    // Then what a fresh, stronger authentication fixes.
    const LevelIndex required = requirement.level;
    if (required != kNoLevel && identity->level < required) {
        Note(trace, [&] {
            return "level: requires " + LevelName(levels, required) + ", has " +
                   LevelName(levels, identity->level);
        });
        return Conclude(
            trace, Outcome::kStepUp,
            identity->level == kNoLevel ? Reason::kLevelUnproven : Reason::kLevelTooLow);
    }
    Note(trace, [&] {
        return "level: requires " + LevelName(levels, required) + ", has " +
               LevelName(levels, identity->level) + ": met";
    });

    if (requirement.max_age) {
        if (!identity->auth_time) {
            Note(trace, [&] {
                return "max_age: " + std::to_string(*requirement.max_age) +
                       "s, but the identity has no auth_time";
            });
            return Conclude(trace, Outcome::kStepUp, Reason::kAuthTimeMissing);
        }
        const std::int64_t age = now - *identity->auth_time;
        if (age > *requirement.max_age) {
            Note(trace, [&] {
                return "max_age: " + std::to_string(*requirement.max_age) + "s, authenticated " +
                       std::to_string(age) + "s ago";
            });
            return Conclude(trace, Outcome::kStepUp, Reason::kAuthTooOld);
        }
        Note(trace, [&] {
            return "max_age: " + std::to_string(*requirement.max_age) + "s, authenticated " +
                   std::to_string(age) + "s ago: met";
        });
    }
    return Conclude(trace, Outcome::kAllow, Reason::kRequirementMet);
}

}  // namespace stepgate::core
