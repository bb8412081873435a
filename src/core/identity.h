// Who the caller is, as proven by a verified bearer token or a session cookie.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace stepgate::core {

// Index into the configured levels (weakest first); kNoLevel when none is met.
using LevelIndex = int;
inline constexpr LevelIndex kNoLevel = -1;

// A claim value flattened to strings: a string stays, a number or boolean becomes its JSON
// text, an array becomes its elements. Objects and null are left out (they match nothing).
struct ClaimValues {
    std::string name;
    std::vector<std::string> values;
};

enum class CredentialKind { kBearerToken, kSession };

struct Identity {
    CredentialKind kind = CredentialKind::kBearerToken;
    std::string subject;             // sub
    std::string issuer;              // iss
    std::string email;               // email (empty when absent)
    std::string preferred_username;  // preferred_username (empty when absent)
    std::string acr;                 // acr (empty when absent)
    std::vector<std::string> amr;
    std::vector<std::string> groups;
    std::vector<std::string> scopes;  // `scope` (space separated) or `scp` (array)
    std::optional<std::int64_t> auth_time;
    std::int64_t expires_at = 0;      // exp
    std::vector<ClaimValues> claims;  // only the claims that some rule's `claims` names
    LevelIndex level = kNoLevel;      // filled in by core::AssignLevel

    const ClaimValues* FindClaim(std::string_view name) const {
        for (const auto& claim : claims) {
            if (claim.name == name) return &claim;
        }
        return nullptr;
    }
};

}  // namespace stepgate::core
