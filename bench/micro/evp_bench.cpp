// Where a token's signature check spends its time: Stepgate's VerifyJwsSignature (a fresh
// EVP_MD_CTX and EVP_DigestVerifyInit per call) against two ways of doing the same check with
// the per-call OpenSSL 3 set-up done once per key, and the floor `openssl speed` measures
// (EVP_PKEY_verify on a prepared context, digest excluded).
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "bench_support.h"
#include "jose/base64url.h"
#include "jose/signature.h"

namespace stepgate::bench {
namespace {

struct MdCtxFree {
    void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct PkeyCtxFree {
    void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdFree {
    void operator()(EVP_MD* p) const { EVP_MD_free(p); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

struct SignedInput {
    std::string input;
    std::string signature;  // raw JWS signature bytes (RSA: k bytes)
};

SignedInput RsaToken() {
    const std::string token = SignJwt(jose::Algorithm::kRS256, UserClaims(kBenchNow, kBenchIssuer));
    const std::size_t dot = token.rfind('.');
    auto signature = jose::Base64UrlDecode(std::string_view(token).substr(dot + 1));
    if (!signature) throw std::runtime_error("signature");
    return {token.substr(0, dot), *signature};
}

const unsigned char* Bytes(const std::string& s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

// What Stepgate does today for RS256.
void BM_Rs256_VerifyJwsSignature(benchmark::State& state) {
    const SignedInput t = RsaToken();
    EVP_PKEY* key = Keys().rsa.get();
    for (auto _ : state) {
        bool ok =
            jose::detail::VerifyJwsSignature(jose::Algorithm::kRS256, key, t.input, t.signature);
        if (!ok) throw std::runtime_error("verify");
        benchmark::DoNotOptimize(ok);
    }
}
BENCHMARK(BM_Rs256_VerifyJwsSignature);

// The same check with EVP_DigestVerifyInit done once per key: each call copies the prepared
// context (EVP_MD_CTX_copy_ex) and runs EVP_DigestVerify on it.
void BM_Rs256_CopyPreparedDigestVerify(benchmark::State& state) {
    const SignedInput t = RsaToken();
    MdCtxPtr prepared(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    if (EVP_DigestVerifyInit(prepared.get(), &pctx, EVP_sha256(), nullptr, Keys().rsa.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
        throw std::runtime_error("init");
    MdCtxPtr ctx(EVP_MD_CTX_new());
    for (auto _ : state) {
        if (EVP_MD_CTX_copy_ex(ctx.get(), prepared.get()) != 1) throw std::runtime_error("copy");
        int ok = EVP_DigestVerify(ctx.get(), Bytes(t.signature), t.signature.size(), Bytes(t.input),
                                  t.input.size());
        if (ok != 1) throw std::runtime_error("verify");
        benchmark::DoNotOptimize(ok);
    }
}
BENCHMARK(BM_Rs256_CopyPreparedDigestVerify);

// SHA-256 with a fetched EVP_MD, then EVP_PKEY_verify on a context prepared once per key
// (padding and signature digest set; EVP_PKEY_verify does not consume the context).
void BM_Rs256_DigestThenPreparedPkeyVerify(benchmark::State& state) {
    const SignedInput t = RsaToken();
    std::unique_ptr<EVP_MD, MdFree> sha256(EVP_MD_fetch(nullptr, "SHA256", nullptr));
    PkeyCtxPtr pctx(EVP_PKEY_CTX_new_from_pkey(nullptr, Keys().rsa.get(), nullptr));
    if (!sha256 || !pctx || EVP_PKEY_verify_init(pctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx.get(), RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(pctx.get(), sha256.get()) != 1)
        throw std::runtime_error("init");
    for (auto _ : state) {
        unsigned char digest[32];
        unsigned int length = 0;
        if (EVP_Digest(t.input.data(), t.input.size(), digest, &length, sha256.get(), nullptr) != 1)
            throw std::runtime_error("digest");
        int ok =
            EVP_PKEY_verify(pctx.get(), Bytes(t.signature), t.signature.size(), digest, length);
        if (ok != 1) throw std::runtime_error("verify");
        benchmark::DoNotOptimize(ok);
    }
}
BENCHMARK(BM_Rs256_DigestThenPreparedPkeyVerify);

// The floor `openssl speed rsa2048` reports: EVP_PKEY_verify alone on a prepared context.
void BM_Rs256_PreparedPkeyVerifyOnly(benchmark::State& state) {
    const SignedInput t = RsaToken();
    std::unique_ptr<EVP_MD, MdFree> sha256(EVP_MD_fetch(nullptr, "SHA256", nullptr));
    PkeyCtxPtr pctx(EVP_PKEY_CTX_new_from_pkey(nullptr, Keys().rsa.get(), nullptr));
    if (!sha256 || !pctx || EVP_PKEY_verify_init(pctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx.get(), RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(pctx.get(), sha256.get()) != 1)
        throw std::runtime_error("init");
    unsigned char digest[32];
    unsigned int length = 0;
    EVP_Digest(t.input.data(), t.input.size(), digest, &length, sha256.get(), nullptr);
    for (auto _ : state) {
        int ok =
            EVP_PKEY_verify(pctx.get(), Bytes(t.signature), t.signature.size(), digest, length);
        if (ok != 1) throw std::runtime_error("verify");
        benchmark::DoNotOptimize(ok);
    }
}
BENCHMARK(BM_Rs256_PreparedPkeyVerifyOnly);

// What creating the context costs by itself: EVP_MD_CTX_new + EVP_DigestVerifyInit + free.
void BM_Rs256_DigestVerifyInitOnly(benchmark::State& state) {
    for (auto _ : state) {
        MdCtxPtr ctx(EVP_MD_CTX_new());
        EVP_PKEY_CTX* pctx = nullptr;
        if (EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, Keys().rsa.get()) != 1)
            throw std::runtime_error("init");
        benchmark::DoNotOptimize(pctx);
    }
}
BENCHMARK(BM_Rs256_DigestVerifyInitOnly);

}  // namespace
}  // namespace stepgate::bench
