#include "jose/signature.h"

#include <openssl/rsa.h>

#include <array>
#include <cstddef>

#include "jose/openssl_util.h"

namespace stepgate::jose::detail {
namespace {

enum class Family { kRsaPkcs1, kRsaPss, kEcdsa, kEdDsa };

struct AlgorithmParams {
    Family family;
    const EVP_MD* digest;          // nullptr for EdDSA (RFC 8032: the hash is built in)
    std::size_t ecdsa_coordinate;  // ES*: bytes in each of r and s (RFC 7518 §3.4)
};

AlgorithmParams ParamsFor(Algorithm algorithm) {
    switch (algorithm) {
        case Algorithm::kRS256:
            return {Family::kRsaPkcs1, EVP_sha256(), 0};
        case Algorithm::kRS384:
            return {Family::kRsaPkcs1, EVP_sha384(), 0};
        case Algorithm::kRS512:
            return {Family::kRsaPkcs1, EVP_sha512(), 0};
        case Algorithm::kPS256:
            return {Family::kRsaPss, EVP_sha256(), 0};
        case Algorithm::kPS384:
            return {Family::kRsaPss, EVP_sha384(), 0};
        case Algorithm::kPS512:
            return {Family::kRsaPss, EVP_sha512(), 0};
        case Algorithm::kES256:
            return {Family::kEcdsa, EVP_sha256(), 32};
        case Algorithm::kES384:
            return {Family::kEcdsa, EVP_sha384(), 48};
        case Algorithm::kES512:
            return {Family::kEcdsa, EVP_sha512(), 66};
        case Algorithm::kEdDSA:
            return {Family::kEdDsa, nullptr, 0};
    }
    return {Family::kEdDsa, nullptr, 0};
}

const unsigned char* Bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

// RFC 7518 §3.4: the JWS ECDSA signature is R || S, each exactly the coordinate size;
// OpenSSL verifies the DER ECDSA-Sig-Value, so re-encode. A DER signature given as the JWS
// value has the wrong length and is refused before this.
bool RawEcdsaToDer(std::string_view raw, std::size_t coordinate, OpensslBytesPtr& der,
                   int& der_length) {
    BignumPtr r(BN_bin2bn(Bytes(raw), static_cast<int>(coordinate), nullptr));
    BignumPtr s(BN_bin2bn(Bytes(raw) + coordinate, static_cast<int>(coordinate), nullptr));
    if (!r || !s) return ClearOpensslErrors();
    // SEC 1 §4.1.4 step 1: r and s are in [1, n-1]; zero is the classic forgery (the "psychic
    // signatures" bug, CVE-2022-21449). OpenSSL also refuses r, s >= n.
    if (BN_is_zero(r.get()) || BN_is_zero(s.get())) return false;
    EcdsaSigPtr sig(ECDSA_SIG_new());
    if (!sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return ClearOpensslErrors();
    r.release();  // now owned by sig
    s.release();
    unsigned char* out = nullptr;
    der_length = i2d_ECDSA_SIG(sig.get(), &out);
    der.reset(out);
    if (der_length <= 0 || !der) return ClearOpensslErrors();
    return true;
}

bool KeyFitsFamily(EVP_PKEY* key, const AlgorithmParams& params) {
    // RFC 8725 §3.1: the algorithm and the key type must agree (defence in depth: the key
    // set's Jwk::Fits has already checked kty and crv).
    switch (params.family) {
        case Family::kRsaPkcs1:
        case Family::kRsaPss:
            return EVP_PKEY_is_a(key, "RSA") == 1;
        case Family::kEcdsa:
            return EVP_PKEY_is_a(key, "EC") == 1 &&
                   EVP_PKEY_get_bits(key) == (params.ecdsa_coordinate == 66
                                                  ? 521
                                                  : static_cast<int>(params.ecdsa_coordinate * 8));
        case Family::kEdDsa:
            return EVP_PKEY_is_a(key, "ED25519") == 1;
    }
    return false;
}

// SHA-2 fetched from the default provider once per process, so that a verification does not
// look the algorithm up again (OpenSSL 3 "implicit fetch" costs microseconds per call).
// EVP_MD objects are immutable and reference counted: safe to share between threads.
struct FetchedDigests {
    EvpMdPtr sha256{EVP_MD_fetch(nullptr, "SHA256", nullptr)};
    EvpMdPtr sha384{EVP_MD_fetch(nullptr, "SHA384", nullptr)};
    EvpMdPtr sha512{EVP_MD_fetch(nullptr, "SHA512", nullptr)};
};

const EVP_MD* Fetched(const EVP_MD* digest) {
    static const FetchedDigests fetched;
    if (digest == EVP_sha256()) return fetched.sha256.get();
    if (digest == EVP_sha384()) return fetched.sha384.get();
    if (digest == EVP_sha512()) return fetched.sha512.get();
    return nullptr;
}

// A verification context set up once for one key and one algorithm (EVP_PKEY_verify_init,
// padding, digest): EVP_PKEY_verify does not consume it, so each signature costs the digest
// and the public-key operation only, as in `openssl speed`. An EVP_PKEY_CTX must not be used
// by two threads at once, so every thread keeps its own few (event loops and workers alike).
struct PreparedVerifier {
    EvpPkeyPtr key;  // a reference of our own: the address cannot be reused while cached
    Algorithm algorithm = Algorithm::kRS256;
    const EVP_MD* digest = nullptr;
    std::size_t key_size = 0;  // EVP_PKEY_get_size
    EvpPkeyCtxPtr ctx;
};

EvpPkeyCtxPtr PrepareContext(EVP_PKEY* key, const AlgorithmParams& params, const EVP_MD* md) {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) return nullptr;
    if (params.family == Family::kRsaPkcs1) {
        // RFC 7518 §3.3: RSASSA-PKCS1-v1_5.
        if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) return nullptr;
    } else if (params.family == Family::kRsaPss) {
        // RFC 7518 §3.5: RSASSA-PSS, MGF1 with the same hash, salt as long as the hash.
        if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_DIGEST) != 1) {
            return nullptr;
        }
    }
    // The digest the signature must encode (RSA DigestInfo, PSS hash) and the only input
    // length EVP_PKEY_verify accepts.
    if (EVP_PKEY_CTX_set_signature_md(ctx.get(), md) != 1) return nullptr;
    return ctx;
}

class PreparedVerifiers {
 public:
    // The prepared verifier for (key, algorithm), made on first use; nullptr when the key does
    // not fit the algorithm or OpenSSL cannot prepare one (the caller then takes the plain
    // path, which refuses or verifies as before).
    const PreparedVerifier* Get(EVP_PKEY* key, Algorithm algorithm, const AlgorithmParams& params) {
        for (const PreparedVerifier& slot : slots_) {
            if (slot.key.get() == key && slot.algorithm == algorithm && slot.ctx) return &slot;
        }
        if (!KeyFitsFamily(key, params)) return nullptr;
        const EVP_MD* md = Fetched(params.digest);
        if (md == nullptr) return nullptr;
        EvpPkeyCtxPtr ctx = PrepareContext(key, params, md);
        const int key_size = EVP_PKEY_get_size(key);
        if (!ctx || key_size <= 0 || EVP_PKEY_up_ref(key) != 1) {
            ClearOpensslErrors();
            return nullptr;
        }
        // Round robin: a key set holds a handful of keys, and a replaced entry only costs one
        // preparation.
        PreparedVerifier& slot = slots_[next_++ % slots_.size()];
        slot.ctx.reset();
        slot.key.reset(key);
        slot.algorithm = algorithm;
        slot.digest = md;
        slot.key_size = static_cast<std::size_t>(key_size);
        slot.ctx = std::move(ctx);
        return &slot;
    }

 private:
    std::array<PreparedVerifier, 16> slots_;
    std::size_t next_ = 0;
};

// RSA and ECDSA through a prepared context: the digest with a fetched EVP_MD, then
// EVP_PKEY_verify. The same checks as the EVP_DigestVerify path below.
bool VerifyPrepared(const PreparedVerifier& verifier, const AlgorithmParams& params,
                    std::string_view signing_input, std::string_view signature) {
    const unsigned char* sig = Bytes(signature);
    std::size_t sig_length = signature.size();
    OpensslBytesPtr der;
    if (params.family == Family::kEcdsa) {
        // RFC 7518 §3.4: exactly 64 / 96 / 132 bytes of R || S.
        if (sig_length != 2 * params.ecdsa_coordinate) return false;
        int der_length = 0;
        if (!RawEcdsaToDer(signature, params.ecdsa_coordinate, der, der_length)) return false;
        sig = der.get();
        sig_length = static_cast<std::size_t>(der_length);
    } else if (sig_length != verifier.key_size) {
        // RFC 8017 §8.1.2/§8.2.2 step 1: the signature is exactly k (modulus) bytes.
        return false;
    }
    // RFC 7515 §5.2 step 8: the signature is over the ASCII bytes of `header.payload`.
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_length = 0;
    if (EVP_Digest(signing_input.data(), signing_input.size(), digest, &digest_length,
                   verifier.digest, nullptr) != 1) {
        return ClearOpensslErrors();
    }
    if (EVP_PKEY_verify(verifier.ctx.get(), sig, sig_length, digest, digest_length) != 1) {
        return ClearOpensslErrors();
    }
    return true;
}

}  // namespace

bool VerifyJwsSignature(Algorithm algorithm, EVP_PKEY* key, std::string_view signing_input,
                        std::string_view signature) {
    if (key == nullptr) return false;
    const AlgorithmParams params = ParamsFor(algorithm);
    if (params.family != Family::kEdDsa) {
        thread_local PreparedVerifiers prepared;
        if (const PreparedVerifier* verifier = prepared.Get(key, algorithm, params)) {
            return VerifyPrepared(*verifier, params, signing_input, signature);
        }
    }
    // EdDSA (one-shot EVP_DigestVerify only), or no prepared context: a fresh context per call.
    if (!KeyFitsFamily(key, params)) return false;

    const unsigned char* sig = Bytes(signature);
    std::size_t sig_length = signature.size();
    OpensslBytesPtr der;
    switch (params.family) {
        case Family::kRsaPkcs1:
        case Family::kRsaPss:
            // RFC 8017 §8.1.2/§8.2.2 step 1: the signature is exactly k (modulus) bytes.
            if (sig_length != static_cast<std::size_t>(EVP_PKEY_get_size(key))) return false;
            break;
        case Family::kEcdsa: {
            // RFC 7518 §3.4: exactly 64 / 96 / 132 bytes of R || S.
            if (sig_length != 2 * params.ecdsa_coordinate) return false;
            int der_length = 0;
            if (!RawEcdsaToDer(signature, params.ecdsa_coordinate, der, der_length)) return false;
            sig = der.get();
            sig_length = static_cast<std::size_t>(der_length);
            break;
        }
        case Family::kEdDsa:
            if (sig_length != 64) return false;  // RFC 8032 §5.1.6: R || S, 64 bytes
            break;
    }

    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx) return ClearOpensslErrors();
    EVP_PKEY_CTX* pkey_ctx = nullptr;  // owned by ctx
    if (EVP_DigestVerifyInit(ctx.get(), &pkey_ctx, params.digest, nullptr, key) != 1) {
        return ClearOpensslErrors();
    }
    if (params.family == Family::kRsaPkcs1) {
        // RFC 7518 §3.3: RSASSA-PKCS1-v1_5.
        if (EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING) != 1) {
            return ClearOpensslErrors();
        }
    } else if (params.family == Family::kRsaPss) {
        // RFC 7518 §3.5: RSASSA-PSS, MGF1 with the same hash, salt as long as the hash.
        if (EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md(pkey_ctx, params.digest) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_ctx, RSA_PSS_SALTLEN_DIGEST) != 1) {
            return ClearOpensslErrors();
        }
    }
    // RFC 7515 §5.2 step 8: the signature is over the ASCII bytes of `header.payload`.
    if (EVP_DigestVerify(ctx.get(), sig, sig_length, Bytes(signing_input), signing_input.size()) !=
        1) {
        return ClearOpensslErrors();
    }
    return true;
}

}  // namespace stepgate::jose::detail
