#include "jose/jwt.h"

#include <openssl/crypto.h>

#include <iterator>
#include <limits>
#include <utility>

#include "jose/base64url.h"
#include "jose/claims_reader.h"
#include "jose/signature.h"

namespace stepgate::jose {
namespace {

using detail::JsonMember;
using detail::JwtClaims;

constexpr std::size_t kMaxKidBytes = 256;

std::int64_t SaturatingAdd(std::int64_t a, std::int64_t b) {
    std::int64_t sum = 0;
    if (__builtin_add_overflow(a, b, &sum)) {
        return b > 0 ? std::numeric_limits<std::int64_t>::max()
                     : std::numeric_limits<std::int64_t>::min();
    }
    return sum;
}

enum class Presence { kAbsent, kPresent, kBad };

// An optional NumericDate claim (RFC 7519 §2): absent, present (in *out), or of the wrong type
// or range.
Presence OptionalNumericDate(const JsonMember& claim, std::int64_t& out) {
    if (!claim.present()) return Presence::kAbsent;
    if (claim.type != JsonMember::Type::kNumber || !claim.date) return Presence::kBad;
    out = *claim.date;
    return Presence::kPresent;
}

void AppendSpaceSeparated(std::string_view text, std::vector<std::string>& out) {
    while (!text.empty()) {
        const auto space = text.find(' ');
        const std::string_view word = text.substr(0, space);
        if (!word.empty()) out.emplace_back(word);
        if (space == std::string_view::npos) break;
        text.remove_prefix(space + 1);
    }
}

// A claim that is a string or an array of strings (amr, groups, scp). A string is one element,
// or, with split_spaces, a space-separated list (RFC 8693 §4.2 `scope`, Entra `scp`); array
// elements are taken as they are. False when the claim has another type or an element is not
// a string.
bool StringList(JsonMember& claim, bool split_spaces, std::vector<std::string>& out) {
    switch (claim.type) {
        case JsonMember::Type::kString:
            if (split_spaces) {
                AppendSpaceSeparated(claim.text, out);
            } else {
                out.push_back(std::move(claim.text));
            }
            return true;
        case JsonMember::Type::kStringArray:
            out.insert(out.end(), std::make_move_iterator(claim.strings.begin()),
                       std::make_move_iterator(claim.strings.end()));
            return true;
        default:
            return false;
    }
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

struct Parts {
    std::string_view header;
    std::string_view payload;
    std::string_view signature;
    std::string_view signing_input;  // header.payload
};

// RFC 7515 §7.1 compact serialization: exactly three parts (a JWE has five, RFC 7516 §9).
std::optional<Parts> Split(std::string_view token) {
    const auto first = token.find('.');
    if (first == std::string_view::npos) return std::nullopt;
    const auto second = token.find('.', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    if (token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
    return Parts{token.substr(0, first), token.substr(first + 1, second - first - 1),
                 token.substr(second + 1), token.substr(0, second)};
}

using Outcome = Result<core::Identity, JwtError>;

Outcome FillIdentity(JwtClaims& claims, const VerifyOptions& options, core::Identity identity);

// The claims of a token whose signature has verified. RFC 7519 §7.2 step 10 onwards.
Outcome CheckClaims(JwtClaims& claims, const VerifyOptions& options, std::int64_t now) {
    core::Identity identity;
    identity.kind = core::CredentialKind::kBearerToken;

    // RFC 7519 §4.1.1, RFC 8725 §3.8, RFC 9068 §4 step 3: iss equals the configured issuer,
    // exactly (no normalization: a trailing slash is another issuer).
    const std::string* iss = claims.iss.String();
    if (iss == nullptr || options.issuer.empty() || *iss != options.issuer) {
        return MakeError(JwtError::kWrongIssuer);
    }

    // RFC 7519 §4.1.3, RFC 8725 §3.9, RFC 9068 §4 step 4: aud (a string or an array of
    // strings) contains one of our audiences.
    const JsonMember& aud = claims.aud;
    std::size_t audience_count = 0;
    bool audience_ok = false;
    if (!aud.present()) return MakeError(JwtError::kWrongAudience);
    const auto accepted = [&options](const std::string& value) {
        for (const auto& audience : options.audiences) {
            if (audience == value) return true;
        }
        return false;
    };
    if (aud.type == JsonMember::Type::kString) {
        audience_count = 1;
        audience_ok = accepted(aud.text);
    } else if (aud.type == JsonMember::Type::kStringArray) {
        for (const std::string& entry : aud.strings) {
            ++audience_count;
            audience_ok = audience_ok || accepted(entry);
        }
    } else {  // another type, or an array with a non-string element
        return MakeError(JwtError::kBadClaim);
    }
    if (!audience_ok) return MakeError(JwtError::kWrongAudience);

    const std::int64_t leeway = options.leeway_seconds > 0 ? options.leeway_seconds : 0;

    // RFC 9068 §2.2: exp is REQUIRED; RFC 7519 §4.1.4: refused when now > exp (+ leeway).
    std::int64_t exp = 0;
    switch (OptionalNumericDate(claims.exp, exp)) {
        case Presence::kAbsent:
            return MakeError(JwtError::kMissingExp);
        case Presence::kBad:
            return MakeError(JwtError::kBadClaim);
        case Presence::kPresent:
            break;
    }
    if (now > SaturatingAdd(exp, leeway)) return MakeError(JwtError::kExpired);
    identity.expires_at = exp;

    // RFC 7519 §4.1.5: not before.
    std::int64_t nbf = 0;
    switch (OptionalNumericDate(claims.nbf, nbf)) {
        case Presence::kBad:
            return MakeError(JwtError::kBadClaim);
        case Presence::kPresent:
            if (SaturatingAdd(now, leeway) < nbf) return MakeError(JwtError::kNotYetValid);
            break;
        case Presence::kAbsent:
            break;
    }

    // RFC 7519 §4.1.6 (and OIDC Core §3.1.3.7 step 10): not issued in the future.
    std::int64_t iat = 0;
    switch (OptionalNumericDate(claims.iat, iat)) {
        case Presence::kBad:
            return MakeError(JwtError::kBadClaim);
        case Presence::kPresent:
            if (iat > SaturatingAdd(now, leeway)) return MakeError(JwtError::kIssuedInFuture);
            break;
        case Presence::kAbsent:
            break;
    }

    // OIDC Core §3.1.3.7 step 11: nonce equals the one the flow sent (constant time).
    if (options.expected_nonce) {
        const std::string* nonce = claims.nonce.String();
        if (nonce == nullptr || !ConstantTimeEquals(*nonce, *options.expected_nonce)) {
            return MakeError(JwtError::kWrongNonce);
        }
    }

    // OIDC Core §3.1.3.7 steps 4-5: azp equals our client id when present, and is required
    // when there are several audiences.
    if (options.expected_azp) {
        const JsonMember& azp = claims.azp;
        if (azp.present()) {
            if (azp.String() == nullptr || azp.text != *options.expected_azp) {
                return MakeError(JwtError::kWrongAuthorizedParty);
            }
        } else if (audience_count > 1) {
            return MakeError(JwtError::kWrongAuthorizedParty);
        }
    }

    identity.issuer = std::move(claims.iss.text);
    auto filled = FillIdentity(claims, options, std::move(identity));
    // OIDC Core §2: auth_time is when the user authenticated; one in the future would satisfy
    // every max_age until the token expires.
    if (filled && filled->auth_time && *filled->auth_time > SaturatingAdd(now, leeway)) {
        return MakeError(JwtError::kIssuedInFuture);
    }
    return filled;
}

// The identity a claims set describes: sub, profile claims, acr/amr, groups, scopes,
// auth_time and the extra claims rules name. No time or audience checks here. Moves the
// strings out of `claims`.
Outcome FillIdentity(JwtClaims& claims, const VerifyOptions& options, core::Identity identity) {
    // RFC 9068 §2.2, OIDC Core §2: sub is required, a non-empty string.
    if (claims.sub.String() == nullptr || claims.sub.text.empty()) {
        return MakeError(JwtError::kBadClaim);
    }
    identity.subject = std::move(claims.sub.text);
    if (claims.email.String() != nullptr) identity.email = std::move(claims.email.text);
    if (claims.preferred_username.String() != nullptr) {
        identity.preferred_username = std::move(claims.preferred_username.text);
    }

    // OIDC Core §2: acr is a string; amr an array of strings (RFC 8176).
    if (claims.acr.present()) {
        if (claims.acr.String() == nullptr) return MakeError(JwtError::kBadClaim);
        identity.acr = std::move(claims.acr.text);
    }
    if (claims.amr.present() && !StringList(claims.amr, /*split_spaces=*/false, identity.amr)) {
        return MakeError(JwtError::kBadClaim);
    }
    if (claims.groups.present() &&
        !StringList(claims.groups, /*split_spaces=*/false, identity.groups)) {
        return MakeError(JwtError::kBadClaim);
    }
    // RFC 9068 §2.2.3 / RFC 8693 §4.2: scope is a space-separated string; some providers use
    // `scp` (an array, or a space-separated string).
    if (claims.scope.present()) {
        if (claims.scope.String() == nullptr) return MakeError(JwtError::kBadClaim);
        AppendSpaceSeparated(claims.scope.text, identity.scopes);
    } else if (claims.scp.present()) {
        if (!StringList(claims.scp, /*split_spaces=*/true, identity.scopes)) {
            return MakeError(JwtError::kBadClaim);
        }
    }
    // OIDC Core §2: auth_time is a NumericDate.
    std::int64_t auth_time = 0;
    switch (OptionalNumericDate(claims.auth_time, auth_time)) {
        case Presence::kBad:
            return MakeError(JwtError::kBadClaim);
        case Presence::kPresent:
            identity.auth_time = auth_time;
            break;
        case Presence::kAbsent:
            break;
    }

    // The reader flattened them (core::ClaimValues) and filled only the first of a name
    // listed twice.
    for (std::size_t i = 0; i < options.extra_claims.size(); ++i) {
        detail::ExtraClaim& extra = claims.extra[i];
        if (!extra.present) continue;
        identity.claims.push_back(
            core::ClaimValues{options.extra_claims[i], std::move(extra.values)});
    }
    return identity;
}

// Per thread: buffers reused for the decoded parts, and the JOSE headers seen last. A provider
// signs every token with one of a few headers ({"alg","kid","typ"}), so the parsed header is
// kept by its exact base64url text: a new token from a known key costs no header decode or
// parse. The same text is the same bytes, so the verdict is the one a parse would give.
struct VerifyScratch {
    std::string header_bytes;
    std::string payload_bytes;
    std::string signature;

    const detail::JwsHeader* RememberedHeader(std::string_view text) const {
        for (const Memo& memo : memos) {
            if (memo.valid && memo.text == text) return &memo.header;
        }
        return nullptr;
    }
    // Returns the header, kept when its text is short (a header is ~100 characters).
    const detail::JwsHeader& RememberHeader(std::string_view text, detail::JwsHeader header) {
        Memo& memo = text.size() <= kMaxMemoTextBytes ? memos[next++ % memos.size()] : oversized;
        memo.valid = text.size() <= kMaxMemoTextBytes;
        memo.text.assign(text);
        memo.header = std::move(header);
        return memo.header;
    }

 private:
    static constexpr std::size_t kMaxMemoTextBytes = 512;
    struct Memo {
        bool valid = false;
        std::string text;
        detail::JwsHeader header;
    };
    std::array<Memo, 4> memos;
    Memo oversized;  // holds a long header for the one verification that uses it
    std::size_t next = 0;
};

VerifyScratch& ThisThreadScratch() {
    thread_local VerifyScratch scratch;
    return scratch;
}

Outcome Verify(std::string_view token, const KeySet& keys, const VerifyOptions& options,
               std::int64_t now) {
    // --- Structure. Limits at the edge (STYLE.md habit 10).
    if (token.size() > options.max_token_bytes) return MakeError(JwtError::kTooLarge);
    const auto parts = Split(token);
    if (!parts) return MakeError(JwtError::kMalformed);
    // RFC 7515 §2, §7.1: each part is base64url without padding, strictly. Decoded into this
    // thread's buffers; a header seen lately is not decoded again (see VerifyScratch).
    VerifyScratch& scratch = ThisThreadScratch();
    const detail::JwsHeader* header = scratch.RememberedHeader(parts->header);
    if (header == nullptr && !Base64UrlDecodeInto(parts->header, scratch.header_bytes)) {
        return MakeError(JwtError::kMalformed);
    }
    if (!Base64UrlDecodeInto(parts->payload, scratch.payload_bytes)) {
        return MakeError(JwtError::kMalformed);
    }
    if (!Base64UrlDecodeInto(parts->signature, scratch.signature)) {
        return MakeError(JwtError::kMalformed);
    }
    // RFC 7515 §5.2 steps 3-4, RFC 7519 §7.2 step 8: JSON objects; RFC 8725 §2.8 / RFC 7515
    // §5.2: duplicate member names refused. Both are read whole here, before the signature;
    // the claims' values are looked at only once it has verified.
    if (header == nullptr) {
        auto parsed = detail::ReadJwsHeader(scratch.header_bytes);
        if (!parsed) return MakeError(JwtError::kBadJson);
        header = &scratch.RememberHeader(parts->header, std::move(*parsed));
    }
    auto claims = detail::ReadJwtClaims(scratch.payload_bytes, options.extra_claims);
    if (!claims) return MakeError(JwtError::kBadJson);
    const std::string_view signature = scratch.signature;

    // --- Algorithm and header. RFC 8725 §3.1: the algorithm comes from an allow-list, never
    // from the token alone; none and HS* are not algorithms here (§2.1).
    const std::string* alg_name = header->alg.String();
    if (alg_name == nullptr) return MakeError(JwtError::kAlgorithmRefused);
    const auto algorithm = ParseAlgorithm(*alg_name);
    if (!algorithm || !options.allowed_algorithms.Contains(*algorithm)) {
        return MakeError(JwtError::kAlgorithmRefused);
    }
    // RFC 8725 §3.10 / §2.1: keys named or embedded by the token (jwk, jku, x5u, x5c) are
    // never trusted; RFC 7515 §4.1.11: we understand no extension, so any crit is refused.
    for (const JsonMember* member :
         {&header->jwk, &header->jku, &header->x5u, &header->x5c, &header->crit}) {
        if (member->present()) return MakeError(JwtError::kForbiddenHeader);
    }
    // RFC 7515 §4.1.4: kid is a string (bounded here).
    std::string_view kid;
    if (header->kid.present()) {
        if (header->kid.String() == nullptr) return MakeError(JwtError::kMalformed);
        kid = header->kid.text;
        if (kid.size() > kMaxKidBytes) return MakeError(JwtError::kMalformed);
    }

    // --- Key. RFC 8725 §3.1: the key must fit the algorithm (kty, crv, the JWK's alg).
    const Jwk* jwk = keys.Find(kid, *algorithm);
    if (jwk == nullptr) {
        if (!kid.empty() && keys.HasKid(kid)) return MakeError(JwtError::kKeyMismatch);
        return MakeError(JwtError::kUnknownKey);
    }

    // --- Signature. RFC 7515 §5.2 step 8; claims are not looked at before it verifies.
    if (!detail::VerifyJwsSignature(*algorithm, jwk->key.get(), parts->signing_input, signature)) {
        return MakeError(JwtError::kBadSignature);
    }

    // --- Claims.
    return CheckClaims(*claims, options, now);
}

}  // namespace

std::string_view Describe(JwtError error) {
    // Fixed text for RFC 6750 error_description: no quotes or backslashes, never input.
    switch (error) {
        case JwtError::kTooLarge:
            return "the token is too large";
        case JwtError::kMalformed:
            return "the token is malformed";
        case JwtError::kBadJson:
            return "the token header or claims are not a valid JSON object";
        case JwtError::kAlgorithmRefused:
            return "the token signing algorithm is not accepted";
        case JwtError::kForbiddenHeader:
            return "the token header has a forbidden parameter";
        case JwtError::kUnknownKey:
            return "the token signing key is unknown";
        case JwtError::kKeyMismatch:
            return "the token signing key does not fit its algorithm";
        case JwtError::kBadSignature:
            return "the token signature is invalid";
        case JwtError::kWrongIssuer:
            return "the token issuer is not accepted";
        case JwtError::kWrongAudience:
            return "the token audience is not accepted";
        case JwtError::kWrongAuthorizedParty:
            return "the token authorized party is not accepted";
        case JwtError::kWrongNonce:
            return "the token nonce does not match";
        case JwtError::kMissingExp:
            return "the token has no expiration time";
        case JwtError::kExpired:
            return "the token has expired";
        case JwtError::kNotYetValid:
            return "the token is not valid yet";
        case JwtError::kIssuedInFuture:
            return "the token was issued in the future";
        case JwtError::kBadClaim:
            return "the token has an invalid claim";
    }
    return "the token is invalid";
}

Result<core::Identity, JwtError> VerifyJwt(std::string_view token, const KeySet& keys,
                                           const VerifyOptions& options, std::int64_t now) {
    try {
        return Verify(token, keys, options, now);
    } catch (...) {  // bad_alloc: nothing else throws on this path. Fail closed.
        return MakeError(JwtError::kMalformed);
    }
}

Result<core::Identity, JwtError> IdentityFromClaims(std::string_view claims_json,
                                                    const VerifyOptions& options) {
    try {
        auto claims = detail::ReadJwtClaims(claims_json, options.extra_claims);
        if (!claims) return MakeError(JwtError::kBadJson);
        core::Identity identity;
        if (claims->iss.String() != nullptr) identity.issuer = std::move(claims->iss.text);
        if (OptionalNumericDate(claims->exp, identity.expires_at) == Presence::kBad) {
            return MakeError(JwtError::kBadClaim);
        }
        return FillIdentity(*claims, options, std::move(identity));
    } catch (...) {
        return MakeError(JwtError::kBadJson);
    }
}

}  // namespace stepgate::jose
