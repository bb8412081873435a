// JWS/JWT verification with OpenSSL 3 EVP. RFC 7515, RFC 7519, and RFC 8725 as the checklist.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "core/identity.h"
#include "jose/jwk.h"

namespace stepgate::jose {

// Why a token was refused. Closed: every refusal is one of these.
enum class JwtError {
    kTooLarge,          // above VerifyOptions::max_token_bytes
    kMalformed,         // not three base64url parts, or bad base64url (strict: no padding)
    kBadJson,           // header or payload is not a JSON object, or has duplicate keys
    kAlgorithmRefused,  // none, HS*, unknown, or not in the allowed list
    kForbiddenHeader,   // jwk, jku, x5u, x5c, or any crit
    kUnknownKey,        // no key with this kid (the caller may refresh the JWKS once)
    kKeyMismatch,       // the key's kty/crv/alg/use does not fit the token's alg
    kBadSignature,
    kWrongIssuer,
    kWrongAudience,
    kWrongAuthorizedParty,  // azp (OIDC Core 3.1.3.7)
    kWrongNonce,
    kMissingExp,
    kExpired,
    kNotYetValid,
    kIssuedInFuture,
    kBadClaim,  // a registered claim of the wrong type or out of range, or sub missing
};

// Fixed text safe to show a client (RFC 6750 error_description). Never reflects input.
std::string_view Describe(JwtError error);

struct VerifyOptions {
    std::string issuer;
    std::vector<std::string> audiences;  // `aud` must contain at least one of these
    AlgorithmSet allowed_algorithms = AlgorithmSet::All();
    std::int64_t leeway_seconds = 30;
    std::size_t max_token_bytes = 16 * 1024;
    // Claims copied into Identity::claims (those that rules name in `claims`).
    std::vector<std::string> extra_claims;
    // ID tokens only (OIDC Core 3.1.3.7): the nonce the flow sent, and the client id that
    // `azp` must equal when present.
    std::optional<std::string> expected_nonce;
    std::optional<std::string> expected_azp;
};

// Verifies signature and claims, and fills an Identity (level left as kNoLevel).
Result<core::Identity, JwtError> VerifyJwt(std::string_view token, const KeySet& keys,
                                           const VerifyOptions& options, std::int64_t now);

// The identity a claims set describes, for `stepgate explain --claims`: the same extraction
// as VerifyJwt, with no signature, issuer, audience or time checks (sub is still required).
Result<core::Identity, JwtError> IdentityFromClaims(std::string_view claims_json,
                                                    const VerifyOptions& options);

}  // namespace stepgate::jose
