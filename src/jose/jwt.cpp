#include "jose/jwt.h"

#include <openssl/crypto.h>

#include <cmath>
#include <limits>
#include <utility>

#include "jose/base64url.h"
#include "jose/signature.h"
#include "jose/strict_json.h"

namespace stepgate::jose {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kMaxKidBytes = 256;
// RFC 7519 §2 NumericDate: we accept what a double holds exactly, ±2^53 seconds.
constexpr std::int64_t kMaxNumericDate = std::int64_t{1} << 53;

const Json* Member(const Json& object, std::string_view name) {
    const auto& members = object.get_ref<const Json::object_t&>();
    const auto it = members.find(name);
    return it == members.end() ? nullptr : &it->second;
}

const std::string* StringMember(const Json& object, std::string_view name) {
    const Json* value = Member(object, name);
    return value != nullptr && value->is_string() ? value->get_ptr<const std::string*>() : nullptr;
}

std::int64_t SaturatingAdd(std::int64_t a, std::int64_t b) {
    std::int64_t sum = 0;
    if (__builtin_add_overflow(a, b, &sum)) {
        return b > 0 ? std::numeric_limits<std::int64_t>::max()
                     : std::numeric_limits<std::int64_t>::min();
    }
    return sum;
}

// RFC 7519 §2 NumericDate: an integer, or a finite non-integer truncated to seconds, within
// ±2^53. nullopt for any other value (string, bool, 1e300, ...).
std::optional<std::int64_t> NumericDate(const Json& value) {
    // Unsigned first: nlohmann's get_ptr<number_integer_t*> also answers for an unsigned
    // value (reading the union as signed), so the order of these tests matters.
    if (const auto* u = value.get_ptr<const Json::number_unsigned_t*>()) {
        if (*u > static_cast<std::uint64_t>(kMaxNumericDate)) return std::nullopt;
        return static_cast<std::int64_t>(*u);
    }
    if (const auto* i = value.get_ptr<const Json::number_integer_t*>()) {
        if (*i > kMaxNumericDate || *i < -kMaxNumericDate) return std::nullopt;
        return *i;
    }
    if (const auto* d = value.get_ptr<const Json::number_float_t*>()) {
        const double limit = static_cast<double>(kMaxNumericDate);
        if (!std::isfinite(*d) || *d > limit || *d < -limit) return std::nullopt;
        return static_cast<std::int64_t>(*d);  // truncates toward zero
    }
    return std::nullopt;
}

enum class Presence { kAbsent, kPresent, kBad };

// An optional NumericDate claim: absent, present (in *out), or of the wrong type / range.
Presence OptionalNumericDate(const Json& claims, std::string_view name, std::int64_t& out) {
    const Json* value = Member(claims, name);
    if (value == nullptr) return Presence::kAbsent;
    const auto date = NumericDate(*value);
    if (!date) return Presence::kBad;
    out = *date;
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
// or, with split_spaces, a space-separated list (RFC 8693 §4.2 `scope`, Entra `scp`).
// False when the claim has another type or an element is not a string.
bool StringList(const Json& value, bool split_spaces, std::vector<std::string>& out) {
    if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        if (split_spaces) {
            AppendSpaceSeparated(text, out);
        } else {
            out.push_back(text);
        }
        return true;
    }
    if (!value.is_array()) return false;
    const auto& array = value.get_ref<const Json::array_t&>();
    out.reserve(array.size());
    for (const Json& element : array) {
        if (!element.is_string()) return false;
        out.push_back(element.get_ref<const std::string&>());
    }
    return true;
}

// core::ClaimValues flattening: strings as they are, numbers and booleans as JSON text,
// arrays element by element; objects and null match nothing and are left out.
void Flatten(const Json& value, std::vector<std::string>& out) {
    switch (value.type()) {
        case Json::value_t::string:
            out.push_back(value.get_ref<const std::string&>());
            break;
        case Json::value_t::boolean:
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
        case Json::value_t::number_float:
            out.push_back(value.dump());
            break;
        case Json::value_t::array:
            for (const Json& element : value.get_ref<const Json::array_t&>()) {
                Flatten(element, out);
            }
            break;
        default:
            break;
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

Outcome FillIdentity(const Json& claims, const VerifyOptions& options, core::Identity identity);

// The claims of a token whose signature has verified. RFC 7519 §7.2 step 10 onwards.
Outcome CheckClaims(const Json& claims, const VerifyOptions& options, std::int64_t now) {
    core::Identity identity;
    identity.kind = core::CredentialKind::kBearerToken;

    // RFC 7519 §4.1.1, RFC 8725 §3.8, RFC 9068 §4 step 3: iss equals the configured issuer,
    // exactly (no normalization: a trailing slash is another issuer).
    const std::string* iss = StringMember(claims, "iss");
    if (iss == nullptr || options.issuer.empty() || *iss != options.issuer) {
        return MakeError(JwtError::kWrongIssuer);
    }

    // RFC 7519 §4.1.3, RFC 8725 §3.9, RFC 9068 §4 step 4: aud (a string or an array of
    // strings) contains one of our audiences.
    const Json* aud = Member(claims, "aud");
    std::size_t audience_count = 0;
    bool audience_ok = false;
    if (aud == nullptr) return MakeError(JwtError::kWrongAudience);
    const auto accepted = [&options](const std::string& value) {
        for (const auto& audience : options.audiences) {
            if (audience == value) return true;
        }
        return false;
    };
    if (aud->is_string()) {
        audience_count = 1;
        audience_ok = accepted(aud->get_ref<const std::string&>());
    } else if (aud->is_array()) {
        for (const Json& entry : aud->get_ref<const Json::array_t&>()) {
            if (!entry.is_string()) return MakeError(JwtError::kBadClaim);
            ++audience_count;
            audience_ok = audience_ok || accepted(entry.get_ref<const std::string&>());
        }
    } else {
        return MakeError(JwtError::kBadClaim);
    }
    if (!audience_ok) return MakeError(JwtError::kWrongAudience);

    const std::int64_t leeway = options.leeway_seconds > 0 ? options.leeway_seconds : 0;

    // RFC 9068 §2.2: exp is REQUIRED; RFC 7519 §4.1.4: refused when now > exp (+ leeway).
    const Json* exp_value = Member(claims, "exp");
    if (exp_value == nullptr) return MakeError(JwtError::kMissingExp);
    const auto exp = NumericDate(*exp_value);
    if (!exp) return MakeError(JwtError::kBadClaim);
    if (now > SaturatingAdd(*exp, leeway)) return MakeError(JwtError::kExpired);
    identity.expires_at = *exp;

    // RFC 7519 §4.1.5: not before.
    std::int64_t nbf = 0;
    switch (OptionalNumericDate(claims, "nbf", nbf)) {
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
    switch (OptionalNumericDate(claims, "iat", iat)) {
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
        const std::string* nonce = StringMember(claims, "nonce");
        if (nonce == nullptr || !ConstantTimeEquals(*nonce, *options.expected_nonce)) {
            return MakeError(JwtError::kWrongNonce);
        }
    }

    // OIDC Core §3.1.3.7 steps 4-5: azp equals our client id when present, and is required
    // when there are several audiences.
    if (options.expected_azp) {
        const Json* azp = Member(claims, "azp");
        if (azp != nullptr) {
            if (!azp->is_string() || azp->get_ref<const std::string&>() != *options.expected_azp) {
                return MakeError(JwtError::kWrongAuthorizedParty);
            }
        } else if (audience_count > 1) {
            return MakeError(JwtError::kWrongAuthorizedParty);
        }
    }

    identity.issuer = *iss;
    auto filled = FillIdentity(claims, options, std::move(identity));
    // OIDC Core §2: auth_time is when the user authenticated; one in the future would satisfy
    // every max_age until the token expires.
    if (filled && filled->auth_time && *filled->auth_time > SaturatingAdd(now, leeway)) {
        return MakeError(JwtError::kIssuedInFuture);
    }
    return filled;
}

// The identity a claims set describes: sub, profile claims, acr/amr, groups, scopes,
// auth_time and the extra claims rules name. No time or audience checks here.
Outcome FillIdentity(const Json& claims, const VerifyOptions& options, core::Identity identity) {
    // RFC 9068 §2.2, OIDC Core §2: sub is required, a non-empty string.
    const std::string* sub = StringMember(claims, "sub");
    if (sub == nullptr || sub->empty()) return MakeError(JwtError::kBadClaim);
    identity.subject = *sub;
    if (const std::string* email = StringMember(claims, "email")) identity.email = *email;
    if (const std::string* name = StringMember(claims, "preferred_username")) {
        identity.preferred_username = *name;
    }

    // OIDC Core §2: acr is a string; amr an array of strings (RFC 8176).
    if (const Json* acr = Member(claims, "acr")) {
        if (!acr->is_string()) return MakeError(JwtError::kBadClaim);
        identity.acr = acr->get_ref<const std::string&>();
    }
    if (const Json* amr = Member(claims, "amr")) {
        if (!StringList(*amr, /*split_spaces=*/false, identity.amr)) {
            return MakeError(JwtError::kBadClaim);
        }
    }
    if (const Json* groups = Member(claims, "groups")) {
        if (!StringList(*groups, /*split_spaces=*/false, identity.groups)) {
            return MakeError(JwtError::kBadClaim);
        }
    }
    // RFC 9068 §2.2.3 / RFC 8693 §4.2: scope is a space-separated string; some providers use
    // `scp` (an array, or a space-separated string).
    if (const Json* scope = Member(claims, "scope")) {
        if (!scope->is_string()) return MakeError(JwtError::kBadClaim);
        AppendSpaceSeparated(scope->get_ref<const std::string&>(), identity.scopes);
    } else if (const Json* scp = Member(claims, "scp")) {
        if (!StringList(*scp, /*split_spaces=*/true, identity.scopes)) {
            return MakeError(JwtError::kBadClaim);
        }
    }
    // OIDC Core §2: auth_time is a NumericDate.
    std::int64_t auth_time = 0;
    switch (OptionalNumericDate(claims, "auth_time", auth_time)) {
        case Presence::kBad:
            return MakeError(JwtError::kBadClaim);
        case Presence::kPresent:
            identity.auth_time = auth_time;
            break;
        case Presence::kAbsent:
            break;
    }

    for (const auto& name : options.extra_claims) {
        const Json* value = Member(claims, name);
        if (value == nullptr || identity.FindClaim(name) != nullptr) continue;
        core::ClaimValues flattened;
        flattened.name = name;
        Flatten(*value, flattened.values);
        identity.claims.push_back(std::move(flattened));
    }
    return identity;
}

Outcome Verify(std::string_view token, const KeySet& keys, const VerifyOptions& options,
               std::int64_t now) {
    // --- Structure. Limits at the edge (STYLE.md habit 10).
    if (token.size() > options.max_token_bytes) return MakeError(JwtError::kTooLarge);
    const auto parts = Split(token);
    if (!parts) return MakeError(JwtError::kMalformed);
    // RFC 7515 §2, §7.1: each part is base64url without padding, strictly.
    const auto header_bytes = Base64UrlDecode(parts->header);
    if (!header_bytes) return MakeError(JwtError::kMalformed);
    const auto payload_bytes = Base64UrlDecode(parts->payload);
    if (!payload_bytes) return MakeError(JwtError::kMalformed);
    const auto signature = Base64UrlDecode(parts->signature);
    if (!signature) return MakeError(JwtError::kMalformed);
    // RFC 7515 §5.2 steps 3-4, RFC 7519 §7.2 step 8: JSON objects; RFC 8725 §2.8 / RFC 7515
    // §5.2: duplicate member names refused.
    const auto header = detail::ParseStrictJsonObject(*header_bytes);
    if (!header) return MakeError(JwtError::kBadJson);
    const auto claims = detail::ParseStrictJsonObject(*payload_bytes);
    if (!claims) return MakeError(JwtError::kBadJson);

    // --- Algorithm and header. RFC 8725 §3.1: the algorithm comes from an allow-list, never
    // from the token alone; none and HS* are not algorithms here (§2.1).
    const std::string* alg_name = StringMember(*header, "alg");
    if (alg_name == nullptr) return MakeError(JwtError::kAlgorithmRefused);
    const auto algorithm = ParseAlgorithm(*alg_name);
    if (!algorithm || !options.allowed_algorithms.Contains(*algorithm)) {
        return MakeError(JwtError::kAlgorithmRefused);
    }
    // RFC 8725 §3.10 / §2.1: keys named or embedded by the token (jwk, jku, x5u, x5c) are
    // never trusted; RFC 7515 §4.1.11: we understand no extension, so any crit is refused.
    for (const char* name : {"jwk", "jku", "x5u", "x5c", "crit"}) {
        if (Member(*header, name) != nullptr) return MakeError(JwtError::kForbiddenHeader);
    }
    // RFC 7515 §4.1.4: kid is a string (bounded here).
    std::string_view kid;
    if (const Json* kid_value = Member(*header, "kid")) {
        if (!kid_value->is_string()) return MakeError(JwtError::kMalformed);
        kid = kid_value->get_ref<const std::string&>();
        if (kid.size() > kMaxKidBytes) return MakeError(JwtError::kMalformed);
    }

    // --- Key. RFC 8725 §3.1: the key must fit the algorithm (kty, crv, the JWK's alg).
    const Jwk* jwk = keys.Find(kid, *algorithm);
    if (jwk == nullptr) {
        if (!kid.empty() && keys.HasKid(kid)) return MakeError(JwtError::kKeyMismatch);
        return MakeError(JwtError::kUnknownKey);
    }

    // --- Signature. RFC 7515 §5.2 step 8; claims are not looked at before it verifies.
    if (!detail::VerifyJwsSignature(*algorithm, jwk->key.get(), parts->signing_input, *signature)) {
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
        const auto claims = detail::ParseStrictJsonObject(claims_json);
        if (!claims) return MakeError(JwtError::kBadJson);
        core::Identity identity;
        if (const std::string* iss = StringMember(*claims, "iss")) identity.issuer = *iss;
        if (const Json* exp = Member(*claims, "exp")) {
            const auto value = NumericDate(*exp);
            if (!value) return MakeError(JwtError::kBadClaim);
            identity.expires_at = *value;
        }
        return FillIdentity(*claims, options, std::move(identity));
    } catch (...) {
        return MakeError(JwtError::kBadJson);
    }
}

}  // namespace stepgate::jose
