// JWK / JWK Set (RFC 7517, RFC 7518 §6, RFC 8037) turned into OpenSSL EVP_PKEYs.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace stepgate::jose {

enum class Algorithm : std::uint8_t {
    kRS256,
    kRS384,
    kRS512,
    kPS256,
    kPS384,
    kPS512,
    kES256,
    kES384,
    kES512,
    kEdDSA,
};
inline constexpr int kAlgorithmCount = 10;

// The asymmetric algorithm named by a JWS `alg`; nullopt for none, HS*, and anything
// unknown. Case-sensitive (RFC 7515 §4.1.1): "None" and "RS256 " are not algorithms.
std::optional<Algorithm> ParseAlgorithm(std::string_view name);
std::string_view AlgorithmName(Algorithm algorithm);

class AlgorithmSet {
 public:
    static AlgorithmSet All() { return AlgorithmSet((1u << kAlgorithmCount) - 1); }
    static AlgorithmSet None() { return AlgorithmSet(0); }
    void Add(Algorithm a) { bits_ |= Bit(a); }
    bool Contains(Algorithm a) const { return (bits_ & Bit(a)) != 0; }
    bool empty() const { return bits_ == 0; }

 private:
    explicit AlgorithmSet(std::uint32_t bits) : bits_(bits) {}
    static std::uint32_t Bit(Algorithm a) { return 1u << static_cast<int>(a); }
    std::uint32_t bits_;
};

struct EvpPkeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

enum class KeyType { kRsa, kEc, kOkp };

struct Jwk {
    std::string kid;  // empty when the JWK has none
    KeyType type = KeyType::kRsa;
    std::string curve;                   // "P-256", "P-384", "P-521", "Ed25519" (EC/OKP)
    std::optional<Algorithm> algorithm;  // the JWK's own `alg`, when present
    EvpPkeyPtr key;

    // Whether this key may verify a signature made with `algorithm` (kty, crv, alg fit).
    bool Fits(Algorithm algorithm) const;
};

class KeySet {
 public:
    // Parses a JWK Set document. Keys that are not usable for signature verification
    // (use other than "sig", symmetric, private parts present, unsupported curve, RSA
    // below 2048 bits) are skipped, not errors; a document that is not a JWK Set is an error.
    static Result<KeySet> Parse(std::string_view jwks_json);

    // The key with this kid that fits the algorithm; without a kid, the only key that fits.
    // Returns nullptr when none (or, without kid, more than one) fits.
    const Jwk* Find(std::string_view kid, Algorithm algorithm) const;
    bool HasKid(std::string_view kid) const;

    std::size_t size() const { return keys_.size(); }
    const std::vector<Jwk>& keys() const { return keys_; }

 private:
    std::vector<Jwk> keys_;
};

}  // namespace stepgate::jose
