// What a route demands, and the ordered assurance levels it is expressed in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/identity.h"

namespace stepgate::core {

struct Level {
    std::string name;
    std::vector<std::string> acr;      // acr values that prove this level
    std::vector<std::string> amr_any;  // any of these amr values proves it too
};

struct ClaimRequirement {
    std::string name;
    std::vector<std::string> accepted;  // the claim must hold one of these
};

struct Requirement {
    LevelIndex level = kNoLevel;          // kNoLevel means `level: none`
    std::optional<std::int64_t> max_age;  // seconds since auth_time
    std::vector<std::string> groups_any;
    std::vector<std::string> groups_all;
    std::vector<std::string> scopes_all;
    std::vector<ClaimRequirement> claims;

    // `level: none` and nothing else: an anonymous caller is allowed.
    bool AllowsAnonymous() const {
        return level == kNoLevel && !max_age && groups_any.empty() && groups_all.empty() &&
               scopes_all.empty() && claims.empty();
    }
};

// The highest level whose `acr` holds the identity's acr or whose `amr_any` meets its amr.
LevelIndex LevelOf(const std::vector<Level>& levels, const Identity& identity);

// The acr values to ask for a level: its own first, then those of every stronger level
// (RFC 9470 §3, OIDC Core §3.1.2.1 acr_values in order of preference). No duplicates.
std::vector<std::string> AcrValuesFor(const std::vector<Level>& levels, LevelIndex level);

}  // namespace stepgate::core
