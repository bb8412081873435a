#include "jose/jwk.h"

#include <openssl/core_names.h>

#include <array>
#include <utility>

#include "jose/base64url.h"
#include "jose/openssl_util.h"
#include "jose/strict_json.h"

namespace stepgate::jose {
namespace {

using Json = nlohmann::json;
using detail::BignumPtr;
using detail::ClearOpensslErrors;
using detail::EvpPkeyCtxPtr;
using detail::ParamBldPtr;
using detail::ParamPtr;

// Limits at the edge (STYLE.md habit 10).
constexpr std::size_t kMaxJwksBytes = 1024 * 1024;
constexpr std::size_t kMaxKeys = 100;
constexpr int kMinRsaBits = 2048;  // RFC 7518 §3.3: 2048 bits or larger MUST be used
constexpr int kMaxRsaBits = 8192;  // bounds the cost of one verification
constexpr int kMaxRsaExponentBits = 64;

struct AlgorithmEntry {
    std::string_view name;
    Algorithm algorithm;
};
constexpr std::array<AlgorithmEntry, kAlgorithmCount> kAlgorithms = {{
    {"RS256", Algorithm::kRS256},
    {"RS384", Algorithm::kRS384},
    {"RS512", Algorithm::kRS512},
    {"PS256", Algorithm::kPS256},
    {"PS384", Algorithm::kPS384},
    {"PS512", Algorithm::kPS512},
    {"ES256", Algorithm::kES256},
    {"ES384", Algorithm::kES384},
    {"ES512", Algorithm::kES512},
    {"EdDSA", Algorithm::kEdDSA},
}};

const Json* Member(const Json& object, std::string_view name) {
    const auto& members = object.get_ref<const Json::object_t&>();
    const auto it = members.find(name);
    return it == members.end() ? nullptr : &it->second;
}

// A base64url member decoded strictly; nullopt when absent, not a string, or not base64url.
std::optional<std::string> DecodedMember(const Json& object, std::string_view name) {
    const Json* value = Member(object, name);
    if (value == nullptr || !value->is_string()) return std::nullopt;
    return Base64UrlDecode(value->get_ref<const std::string&>());
}

BignumPtr ToBignum(std::string_view bytes) {
    return BignumPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                               static_cast<int>(bytes.size()), nullptr));
}

// Builds a public EVP_PKEY of `key_type` from `params` (OpenSSL 3 provider API, no
// deprecated RSA_* / EC_KEY_*), then checks it (for EC: the point is on the curve).
EvpPkeyPtr FromData(const char* key_type, OSSL_PARAM_BLD* builder) {
    ParamPtr params(OSSL_PARAM_BLD_to_param(builder));
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, key_type, nullptr));
    EVP_PKEY* raw = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        ClearOpensslErrors();
        return nullptr;
    }
    return EvpPkeyPtr(raw);
}

bool PublicCheck(EVP_PKEY* key) {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    if (!ctx || EVP_PKEY_public_check(ctx.get()) != 1) return ClearOpensslErrors();
    return true;
}

// RFC 7518 §6.3.1: n and e, unsigned big-endian.
EvpPkeyPtr BuildRsaKey(const Json& jwk) {
    const auto n_bytes = DecodedMember(jwk, "n");
    const auto e_bytes = DecodedMember(jwk, "e");
    if (!n_bytes || !e_bytes) return nullptr;
    BignumPtr n = ToBignum(*n_bytes);
    BignumPtr e = ToBignum(*e_bytes);
    if (!n || !e) {
        ClearOpensslErrors();
        return nullptr;
    }
    const int bits = BN_num_bits(n.get());
    if (bits < kMinRsaBits || bits > kMaxRsaBits) return nullptr;  // RFC 7518 §3.3
    // A public modulus is odd; a public exponent is odd, above 1 and small (RFC 8017 §3.1).
    if (!BN_is_odd(n.get()) || !BN_is_odd(e.get()) || BN_num_bits(e.get()) < 2 ||
        BN_num_bits(e.get()) > kMaxRsaExponentBits) {
        return nullptr;
    }
    ParamBldPtr builder(OSSL_PARAM_BLD_new());
    if (!builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
        ClearOpensslErrors();
        return nullptr;
    }
    return FromData("RSA", builder.get());
}

// RFC 7518 §6.2.1: x and y are the full-length coordinates of a point on the curve.
EvpPkeyPtr BuildEcKey(const Json& jwk, std::string_view curve) {
    std::size_t coordinate_bytes = 0;
    const char* group = nullptr;
    if (curve == "P-256") {
        coordinate_bytes = 32;
        group = "prime256v1";
    } else if (curve == "P-384") {
        coordinate_bytes = 48;
        group = "secp384r1";
    } else if (curve == "P-521") {
        coordinate_bytes = 66;
        group = "secp521r1";
    } else {
        return nullptr;  // unsupported curve: skipped
    }
    const auto x = DecodedMember(jwk, "x");
    const auto y = DecodedMember(jwk, "y");
    // RFC 7518 §6.2.1.2/§6.2.1.3: the length MUST be the full size of a coordinate.
    if (!x || !y || x->size() != coordinate_bytes || y->size() != coordinate_bytes) {
        return nullptr;
    }
    // SEC 1 §2.3.3 uncompressed point: 0x04 || x || y.
    std::string point;
    point.reserve(1 + 2 * coordinate_bytes);
    point.push_back('\x04');
    point.append(*x);
    point.append(*y);
    ParamBldPtr builder(OSSL_PARAM_BLD_new());
    if (!builder ||
        OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1) {
        ClearOpensslErrors();
        return nullptr;
    }
    EvpPkeyPtr key = FromData("EC", builder.get());
    // RFC 8725 §3.4 (invalid-curve attacks): the point must be on the curve and valid.
    if (!key || !PublicCheck(key.get())) return nullptr;
    return key;
}

// RFC 8037 §2: OKP with crv Ed25519 and a 32-byte x.
EvpPkeyPtr BuildOkpKey(const Json& jwk, std::string_view curve) {
    if (curve != "Ed25519") return nullptr;  // Ed448 and X25519/X448 are not supported
    const auto x = DecodedMember(jwk, "x");
    if (!x || x->size() != 32) return nullptr;
    ParamBldPtr builder(OSSL_PARAM_BLD_new());
    if (!builder || OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                                     x->data(), x->size()) != 1) {
        ClearOpensslErrors();
        return nullptr;
    }
    EvpPkeyPtr key = FromData("ED25519", builder.get());
    if (!key || !PublicCheck(key.get())) return nullptr;
    return key;
}

bool HasPrivateMember(const Json& jwk) {
    // RFC 7518 §6.2.2, §6.3.2, §6.4.1, RFC 8037 §2: a verification key set carries no
    // private or symmetric key material; a JWK that does is a misconfiguration, not used.
    for (const char* name : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
        if (Member(jwk, name) != nullptr) return true;
    }
    return false;
}

// One JWK of the set, or nullopt when it is not usable for signature verification (skipped).
std::optional<Jwk> ParseJwk(const Json& entry) {
    if (!entry.is_object()) return std::nullopt;
    const Json* kty = Member(entry, "kty");
    if (kty == nullptr || !kty->is_string()) return std::nullopt;  // RFC 7517 §4.1: required
    if (HasPrivateMember(entry)) return std::nullopt;

    // RFC 7517 §4.2: a key meant for encryption is never used to verify.
    if (const Json* use = Member(entry, "use")) {
        if (!use->is_string() || use->get_ref<const std::string&>() != "sig") return std::nullopt;
    }
    // RFC 7517 §4.3: when key_ops is present it must allow "verify".
    if (const Json* ops = Member(entry, "key_ops")) {
        if (!ops->is_array()) return std::nullopt;
        bool verify = false;
        for (const Json& op : *ops) {
            if (!op.is_string()) return std::nullopt;
            if (op.get_ref<const std::string&>() == "verify") verify = true;
        }
        if (!verify) return std::nullopt;
    }

    Jwk jwk;
    // RFC 7517 §4.5: kid is a string.
    if (const Json* kid = Member(entry, "kid")) {
        if (!kid->is_string()) return std::nullopt;
        jwk.kid = kid->get_ref<const std::string&>();
    }
    // RFC 7517 §4.4: an alg we do not verify with (HS*, none, RSA-OAEP, ...) makes the key
    // unusable here.
    if (const Json* alg = Member(entry, "alg")) {
        if (!alg->is_string()) return std::nullopt;
        jwk.algorithm = ParseAlgorithm(alg->get_ref<const std::string&>());
        if (!jwk.algorithm) return std::nullopt;
    }

    const auto& type = kty->get_ref<const std::string&>();
    if (type == "RSA") {
        jwk.type = KeyType::kRsa;
        jwk.key = BuildRsaKey(entry);
    } else if (type == "EC" || type == "OKP") {
        const Json* crv = Member(entry, "crv");
        if (crv == nullptr || !crv->is_string()) return std::nullopt;
        jwk.curve = crv->get_ref<const std::string&>();
        jwk.type = type == "EC" ? KeyType::kEc : KeyType::kOkp;
        jwk.key = type == "EC" ? BuildEcKey(entry, jwk.curve) : BuildOkpKey(entry, jwk.curve);
    } else {
        return std::nullopt;  // "oct" and unknown key types
    }
    if (!jwk.key) return std::nullopt;
    // The JWK's own alg must be one its key type and curve can make (RFC 7518 §3.1).
    if (jwk.algorithm && !jwk.Fits(*jwk.algorithm)) return std::nullopt;
    return jwk;
}

}  // namespace

std::optional<Algorithm> ParseAlgorithm(std::string_view name) {
    // RFC 8725 §3.1 / RFC 7515 §4.1.1: exact, case-sensitive names; `none` and HS* are never
    // accepted (no symmetric keys: key-confusion attacks, RFC 8725 §2.1).
    for (const auto& entry : kAlgorithms) {
        if (entry.name == name) return entry.algorithm;
    }
    return std::nullopt;
}

std::string_view AlgorithmName(Algorithm algorithm) {
    const auto index = static_cast<std::size_t>(algorithm);
    return index < kAlgorithms.size() ? kAlgorithms[index].name : std::string_view("unknown");
}

bool Jwk::Fits(Algorithm alg) const {
    // RFC 7517 §4.4: a JWK that names its alg is used with that alg only.
    if (algorithm && *algorithm != alg) return false;
    // RFC 8725 §3.1: the key type and curve determine the algorithm family.
    switch (type) {
        case KeyType::kRsa:
            return alg == Algorithm::kRS256 || alg == Algorithm::kRS384 ||
                   alg == Algorithm::kRS512 || alg == Algorithm::kPS256 ||
                   alg == Algorithm::kPS384 || alg == Algorithm::kPS512;
        case KeyType::kEc:  // RFC 7518 §3.4: each ES* fixes its curve
            return (alg == Algorithm::kES256 && curve == "P-256") ||
                   (alg == Algorithm::kES384 && curve == "P-384") ||
                   (alg == Algorithm::kES512 && curve == "P-521");
        case KeyType::kOkp:  // RFC 8037 §3.1
            return alg == Algorithm::kEdDSA && curve == "Ed25519";
    }
    return false;
}

Result<KeySet> KeySet::Parse(std::string_view jwks_json) {
    if (jwks_json.size() > kMaxJwksBytes) {
        return MakeError(std::string("JWKS document is larger than 1 MiB"));
    }
    try {
        auto document = detail::ParseStrictJson(jwks_json);
        if (!document) {
            return MakeError(std::string("JWKS is not valid JSON or has duplicate member names"));
        }
        // RFC 7517 §5: a JWK Set is a JSON object with a "keys" array.
        if (!document->is_object()) return MakeError(std::string("JWKS is not a JSON object"));
        const Json* keys = Member(*document, "keys");
        if (keys == nullptr || !keys->is_array()) {
            return MakeError(std::string("JWKS has no \"keys\" array"));
        }
        if (keys->size() > kMaxKeys) {
            return MakeError(std::string("JWKS has more than 100 keys"));
        }
        KeySet set;
        set.keys_.reserve(keys->size());
        for (const Json& entry : *keys) {
            if (auto jwk = ParseJwk(entry)) set.keys_.push_back(std::move(*jwk));
        }
        return set;
    } catch (...) {  // bad_alloc; nothing else is expected to throw here
        return MakeError(std::string("JWKS could not be parsed"));
    }
}

const Jwk* KeySet::Find(std::string_view kid, Algorithm algorithm) const {
    if (!kid.empty()) {
        for (const Jwk& jwk : keys_) {
            if (jwk.kid == kid && jwk.Fits(algorithm)) return &jwk;
        }
        return nullptr;
    }
    // No kid: only an unambiguous choice (RFC 7515 §4.1.4 makes kid optional; trying every
    // key would multiply the cost of a forged token).
    const Jwk* found = nullptr;
    for (const Jwk& jwk : keys_) {
        if (!jwk.Fits(algorithm)) continue;
        if (found != nullptr) return nullptr;
        found = &jwk;
    }
    return found;
}

bool KeySet::HasKid(std::string_view kid) const {
    for (const Jwk& jwk : keys_) {
        if (jwk.kid == kid) return true;
    }
    return false;
}

}  // namespace stepgate::jose
