// Test helper: keys generated with OpenSSL EVP during the test, their public JWKs, and JWS
// tokens signed with them. Nothing here is used outside the tests.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "jose/jwk.h"

namespace stepgate::jose::testing {

// A freshly generated key pair of the given kind.
EvpPkeyPtr GenerateRsaKey(unsigned bits);
EvpPkeyPtr GenerateEcKey(std::string_view curve);  // "P-256", "P-384", "P-521"
EvpPkeyPtr GenerateEd25519Key();

// Keys generated once per test binary (RSA key generation is slow).
struct TestKeys {
    EvpPkeyPtr rsa;        // 2048 bits
    EvpPkeyPtr rsa_other;  // 2048 bits, not in any key set
    EvpPkeyPtr rsa_1024;
    EvpPkeyPtr p256;
    EvpPkeyPtr p384;
    EvpPkeyPtr p521;
    EvpPkeyPtr ed25519;
};
const TestKeys& SharedTestKeys();

// The public JWK of `key` (kty, crv, n/e or x/y), with `kid` unless empty.
nlohmann::json PublicJwk(EVP_PKEY* key, std::string_view kid);
// {"keys": [...]}, serialized.
std::string JwksOf(const nlohmann::json& keys_array);

// The raw JWS signature (RFC 7518 §3: PKCS#1 v1.5, PSS, ECDSA R||S, Ed25519) over `input`.
std::string SignRaw(Algorithm algorithm, EVP_PKEY* key, std::string_view input);
// The DER ECDSA signature (what a naive signer would produce) over `input`.
std::string SignEcdsaDer(Algorithm algorithm, EVP_PKEY* key, std::string_view input);
// HMAC-SHA256 with an arbitrary secret (for the key-confusion test).
std::string HmacSha256(std::string_view secret, std::string_view input);

// The SubjectPublicKeyInfo of `key` as PEM or DER.
std::string PublicKeyPem(EVP_PKEY* key);
std::string PublicKeyDer(EVP_PKEY* key);

// base64url(header) "." base64url(payload) "." base64url(signature made with key/algorithm).
std::string MakeToken(std::string_view header_json, std::string_view payload_json,
                      Algorithm algorithm, EVP_PKEY* key);
// base64url(header) "." base64url(payload), the JWS signing input.
std::string SigningInput(std::string_view header_json, std::string_view payload_json);

}  // namespace stepgate::jose::testing
