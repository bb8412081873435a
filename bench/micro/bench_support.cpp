#include "bench_support.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "jose/base64url.h"

namespace stepgate::bench {
namespace {

void Require(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(what);
}

struct MdCtxFree {
    void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BnFree {
    void operator()(BIGNUM* p) const { BN_free(p); }
};
struct EcdsaSigFree {
    void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};

std::string BnBytes(const BIGNUM* bn, int width) {
    std::string out(static_cast<std::size_t>(width > 0 ? width : BN_num_bytes(bn)), '\0');
    auto* data = reinterpret_cast<unsigned char*>(out.data());
    Require((width > 0 ? BN_bn2binpad(bn, data, width) : BN_bn2bin(bn, data)) >= 0, "BN_bn2bin");
    return out;
}

std::string BnParam(EVP_PKEY* key, const char* name, int width) {
    BIGNUM* raw = nullptr;
    Require(EVP_PKEY_get_bn_param(key, name, &raw) == 1, "EVP_PKEY_get_bn_param");
    std::unique_ptr<BIGNUM, BnFree> bn(raw);
    return BnBytes(bn.get(), width);
}

std::string Sign(EVP_PKEY* key, std::string_view input) {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    Require(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1, "init");
    const auto* data = reinterpret_cast<const unsigned char*>(input.data());
    std::size_t length = 0;
    Require(EVP_DigestSign(ctx.get(), nullptr, &length, data, input.size()) == 1, "size");
    std::string sig(length, '\0');
    Require(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &length, data,
                           input.size()) == 1,
            "sign");
    sig.resize(length);
    return sig;
}

}  // namespace

const BenchKeys& Keys() {
    static const BenchKeys keys{
        jose::EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048})),
        jose::EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"))};
    Require(keys.rsa != nullptr && keys.p256 != nullptr, "keygen");
    return keys;
}

std::string BenchJwks() {
    const BenchKeys& keys = Keys();
    nlohmann::json rsa = {
        {"kty", "RSA"},
        {"kid", "rsa-1"},
        {"use", "sig"},
        {"n", jose::Base64UrlEncode(BnParam(keys.rsa.get(), OSSL_PKEY_PARAM_RSA_N, 0))},
        {"e", jose::Base64UrlEncode(BnParam(keys.rsa.get(), OSSL_PKEY_PARAM_RSA_E, 0))}};
    nlohmann::json ec = {
        {"kty", "EC"},
        {"kid", "ec-1"},
        {"use", "sig"},
        {"crv", "P-256"},
        {"x", jose::Base64UrlEncode(BnParam(keys.p256.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32))},
        {"y", jose::Base64UrlEncode(BnParam(keys.p256.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32))}};
    return nlohmann::json{{"keys", {rsa, ec}}}.dump();
}

std::string SignJwt(jose::Algorithm algorithm, std::string_view payload_json) {
    const bool ec = algorithm == jose::Algorithm::kES256;
    Require(ec || algorithm == jose::Algorithm::kRS256, "only RS256 and ES256");
    const nlohmann::json header = {
        {"alg", ec ? "ES256" : "RS256"}, {"typ", "JWT"}, {"kid", ec ? "ec-1" : "rsa-1"}};
    const std::string input =
        jose::Base64UrlEncode(header.dump()) + "." + jose::Base64UrlEncode(payload_json);
    std::string signature = Sign(ec ? Keys().p256.get() : Keys().rsa.get(), input);
    if (ec) {
        // DER ECDSA-Sig-Value -> R || S, 32 bytes each (RFC 7518 §3.4).
        const auto* p = reinterpret_cast<const unsigned char*>(signature.data());
        std::unique_ptr<ECDSA_SIG, EcdsaSigFree> parsed(
            d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(signature.size())));
        Require(parsed != nullptr, "d2i_ECDSA_SIG");
        const BIGNUM* r = nullptr;
        const BIGNUM* s = nullptr;
        ECDSA_SIG_get0(parsed.get(), &r, &s);
        signature = BnBytes(r, 32) + BnBytes(s, 32);
    }
    return input + "." + jose::Base64UrlEncode(signature);
}

std::string UserClaims(std::int64_t now, std::string_view issuer, std::string_view jti) {
    return nlohmann::json{{"iss", issuer},
                          {"sub", "alice"},
                          {"aud", "stepgate-api"},
                          {"iat", now},
                          {"exp", now + 3600},
                          {"auth_time", now - 10},
                          {"jti", jti},
                          {"acr", "urn:stepgate:loa:pwd"},
                          {"amr", {"pwd"}},
                          {"email", "alice@example.com"},
                          {"preferred_username", "alice"},
                          {"groups", {"staff", "ops"}}}
        .dump();
}

}  // namespace stepgate::bench
