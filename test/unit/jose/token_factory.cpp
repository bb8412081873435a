#include "unit/jose/token_factory.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>
#include <vector>

#include "jose/base64url.h"

namespace stepgate::jose::testing {
namespace {

struct Deleters {
    void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
    void operator()(BIGNUM* p) const { BN_free(p); }
    void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
    void operator()(BIO* p) const { BIO_free(p); }
    void operator()(EVP_MAC* p) const { EVP_MAC_free(p); }
    void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Deleters>;

void Require(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(what);
}

std::string BnBytes(const BIGNUM* bn, int width) {
    std::string out(static_cast<std::size_t>(width > 0 ? width : BN_num_bytes(bn)), '\0');
    const int written = width > 0
                            ? BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), width)
                            : BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
    Require(written >= 0, "BN_bn2bin");
    return out;
}

std::string BnParam(EVP_PKEY* key, const char* name, int width) {
    BIGNUM* raw = nullptr;
    Require(EVP_PKEY_get_bn_param(key, name, &raw) == 1, "EVP_PKEY_get_bn_param");
    Owned<BIGNUM> bn(raw);
    return BnBytes(bn.get(), width);
}

std::size_t CoordinateBytes(Algorithm algorithm) {
    switch (algorithm) {
        case Algorithm::kES256:
            return 32;
        case Algorithm::kES384:
            return 48;
        case Algorithm::kES512:
            return 66;
        default:
            return 0;
    }
}

const EVP_MD* DigestFor(Algorithm algorithm) {
    switch (algorithm) {
        case Algorithm::kRS256:
        case Algorithm::kPS256:
        case Algorithm::kES256:
            return EVP_sha256();
        case Algorithm::kRS384:
        case Algorithm::kPS384:
        case Algorithm::kES384:
            return EVP_sha384();
        case Algorithm::kRS512:
        case Algorithm::kPS512:
        case Algorithm::kES512:
            return EVP_sha512();
        case Algorithm::kEdDSA:
            return nullptr;
    }
    return nullptr;
}

std::string EvpSign(Algorithm algorithm, EVP_PKEY* key, std::string_view input) {
    Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    Require(EVP_DigestSignInit(ctx.get(), &pctx, DigestFor(algorithm), nullptr, key) == 1,
            "EVP_DigestSignInit");
    if (algorithm == Algorithm::kPS256 || algorithm == Algorithm::kPS384 ||
        algorithm == Algorithm::kPS512) {
        Require(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1, "pss");
        Require(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, DigestFor(algorithm)) == 1, "mgf1");
        Require(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1, "salt");
    }
    const auto* data = reinterpret_cast<const unsigned char*>(input.data());
    std::size_t length = 0;
    Require(EVP_DigestSign(ctx.get(), nullptr, &length, data, input.size()) == 1, "sign size");
    std::string sig(length, '\0');
    Require(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &length, data,
                           input.size()) == 1,
            "EVP_DigestSign");
    sig.resize(length);
    return sig;
}

}  // namespace

EvpPkeyPtr GenerateRsaKey(unsigned bits) {
    EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
    Require(key != nullptr, "RSA keygen");
    return key;
}

EvpPkeyPtr GenerateEcKey(std::string_view curve) {
    const std::string name(curve);
    EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", name.c_str()));
    Require(key != nullptr, "EC keygen");
    return key;
}

EvpPkeyPtr GenerateEd25519Key() {
    EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    Require(key != nullptr, "Ed25519 keygen");
    return key;
}

const TestKeys& SharedTestKeys() {
    static const TestKeys keys{GenerateRsaKey(2048),   GenerateRsaKey(2048),
                               GenerateRsaKey(1024),   GenerateEcKey("P-256"),
                               GenerateEcKey("P-384"), GenerateEcKey("P-521"),
                               GenerateEd25519Key()};
    return keys;
}

nlohmann::json PublicJwk(EVP_PKEY* key, std::string_view kid) {
    nlohmann::json jwk = nlohmann::json::object();
    if (EVP_PKEY_is_a(key, "RSA") == 1) {
        jwk["kty"] = "RSA";
        jwk["n"] = Base64UrlEncode(BnParam(key, OSSL_PKEY_PARAM_RSA_N, 0));
        jwk["e"] = Base64UrlEncode(BnParam(key, OSSL_PKEY_PARAM_RSA_E, 0));
    } else if (EVP_PKEY_is_a(key, "EC") == 1) {
        const int bits = EVP_PKEY_get_bits(key);
        const int width = (bits + 7) / 8;
        jwk["kty"] = "EC";
        jwk["crv"] = bits == 256 ? "P-256" : bits == 384 ? "P-384" : "P-521";
        jwk["x"] = Base64UrlEncode(BnParam(key, OSSL_PKEY_PARAM_EC_PUB_X, width));
        jwk["y"] = Base64UrlEncode(BnParam(key, OSSL_PKEY_PARAM_EC_PUB_Y, width));
    } else {
        unsigned char raw[64];
        std::size_t length = 0;
        Require(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, raw, sizeof raw,
                                                &length) == 1,
                "Ed25519 public key");
        jwk["kty"] = "OKP";
        jwk["crv"] = "Ed25519";
        jwk["x"] = Base64UrlEncode(std::string_view(reinterpret_cast<char*>(raw), length));
    }
    if (!kid.empty()) jwk["kid"] = kid;
    return jwk;
}

std::string JwksOf(const nlohmann::json& keys_array) {
    return nlohmann::json{{"keys", keys_array}}.dump();
}

std::string SignRaw(Algorithm algorithm, EVP_PKEY* key, std::string_view input) {
    std::string sig = EvpSign(algorithm, key, input);
    const std::size_t coordinate = CoordinateBytes(algorithm);
    if (coordinate == 0) return sig;
    // DER ECDSA-Sig-Value -> R || S, each left-padded to the coordinate size (RFC 7518 §3.4).
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    Owned<ECDSA_SIG> parsed(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
    Require(parsed != nullptr, "d2i_ECDSA_SIG");
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(parsed.get(), &r, &s);
    const int width = static_cast<int>(coordinate);
    return BnBytes(r, width) + BnBytes(s, width);
}

std::string SignEcdsaDer(Algorithm algorithm, EVP_PKEY* key, std::string_view input) {
    return EvpSign(algorithm, key, input);
}

std::string HmacSha256(std::string_view secret, std::string_view input) {
    Owned<EVP_MAC> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    Require(mac != nullptr, "HMAC fetch");
    Owned<EVP_MAC_CTX> ctx(EVP_MAC_CTX_new(mac.get()));
    char digest_name[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end()};
    Require(EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(secret.data()),
                         secret.size(), params) == 1,
            "EVP_MAC_init");
    Require(EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(input.data()),
                           input.size()) == 1,
            "EVP_MAC_update");
    unsigned char out[EVP_MAX_MD_SIZE];
    std::size_t length = 0;
    Require(EVP_MAC_final(ctx.get(), out, &length, sizeof out) == 1, "EVP_MAC_final");
    return std::string(reinterpret_cast<char*>(out), length);
}

std::string PublicKeyPem(EVP_PKEY* key) {
    Owned<BIO> bio(BIO_new(BIO_s_mem()));
    Require(PEM_write_bio_PUBKEY(bio.get(), key) == 1, "PEM_write_bio_PUBKEY");
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
}

std::string PublicKeyDer(EVP_PKEY* key) {
    unsigned char* out = nullptr;
    const int length = i2d_PUBKEY(key, &out);
    Require(length > 0, "i2d_PUBKEY");
    std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(length));
    OPENSSL_free(out);
    return der;
}

std::string SigningInput(std::string_view header_json, std::string_view payload_json) {
    return Base64UrlEncode(header_json) + "." + Base64UrlEncode(payload_json);
}

std::string MakeToken(std::string_view header_json, std::string_view payload_json,
                      Algorithm algorithm, EVP_PKEY* key) {
    const std::string input = SigningInput(header_json, payload_json);
    return input + "." + Base64UrlEncode(SignRaw(algorithm, key, input));
}

}  // namespace stepgate::jose::testing
