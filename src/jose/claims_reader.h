// Reading a JWS header or a JWT claims set without building a DOM. One pass of our own strict
// JSON reader (jose/json_lexer.h) validates the whole document as ParseStrictJsonObject does
// (JSON grammar, UTF-8, no comments, a JSON object at the top, no duplicate member name in any
// object at any depth: RFC 8725 §2.8, RFC 7515 §5.2; nesting at most kMaxJsonDepth), and keeps
// only the top-level members that JWT processing reads, typed as those checks need them.
// It is stricter than ParseStrictJsonObject (nlohmann) in exactly two ways: a leading UTF-8
// byte order mark, and a NUL byte after the object (where nlohmann stops reading), are refused.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace stepgate::jose::detail {

// One top-level member, as much of it as the JWT checks look at.
struct JsonMember {
    enum class Type : std::uint8_t {
        kAbsent,
        kString,       // in `text`
        kStringArray,  // in `strings`: an array whose elements are all strings (maybe none)
        kNumber,       // its RFC 7519 §2 NumericDate in `date` (nullopt when out of range)
        kOther,        // true, false, null, an object, or an array with a non-string element
    };
    Type type = Type::kAbsent;
    std::string text;
    std::vector<std::string> strings;
    std::optional<std::int64_t> date;

    bool present() const { return type != Type::kAbsent; }
    // The string, or nullptr when absent or of another type (a non-string counts as absent).
    const std::string* String() const { return type == Type::kString ? &text : nullptr; }
};

// The JOSE header parameters JWS verification reads (RFC 7515 §4.1).
struct JwsHeader {
    JsonMember alg, kid;
    JsonMember jwk, jku, x5u, x5c, crit;  // refused when present (RFC 8725 §3.10)
};

// A claim that VerifyOptions::extra_claims names, flattened as core::ClaimValues describes:
// strings as they are, numbers and booleans as their JSON text (nlohmann's dump()), arrays
// element by element at any depth; objects and null (also inside arrays) add nothing.
struct ExtraClaim {
    bool present = false;
    std::vector<std::string> values;
};

// The claims JWT validation and core::Identity read (RFC 7519 §4.1, OIDC Core §2 and §5.1,
// RFC 8176, RFC 9068 §2.2).
struct JwtClaims {
    JsonMember iss, sub, aud, exp, nbf, iat, auth_time, nonce, azp;
    JsonMember email, preferred_username, acr, amr, groups, scope, scp;
    // One entry per name given to ReadJwtClaims, in its order. A name given twice fills only
    // its first entry.
    std::vector<ExtraClaim> extra;
};

// The header, or nullopt when `json` is not a document ParseStrictJsonObject accepts (or is
// one only thanks to a byte order mark or a NUL, see above). Never throws.
std::optional<JwsHeader> ReadJwsHeader(std::string_view json) noexcept;

// The claims set, with `extra_names` flattened into JwtClaims::extra, or nullopt when `json`
// is not a document ParseStrictJsonObject accepts (or is one only thanks to a byte order mark
// or a NUL). Never throws.
std::optional<JwtClaims> ReadJwtClaims(std::string_view json,
                                       std::span<const std::string> extra_names) noexcept;

}  // namespace stepgate::jose::detail
