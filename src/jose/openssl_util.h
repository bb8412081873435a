// RAII owners for the OpenSSL objects the jose module uses (STYLE.md habit 7). Private to
// src/jose and its tests.
#pragma once

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>

namespace stepgate::jose::detail {

struct EvpMdCtxDeleter {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct EvpMdDeleter {
    void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};
struct EvpPkeyCtxDeleter {
    void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct BignumDeleter {
    void operator()(BIGNUM* bn) const { BN_free(bn); }
};
struct EcdsaSigDeleter {
    void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};
struct ParamBldDeleter {
    void operator()(OSSL_PARAM_BLD* bld) const { OSSL_PARAM_BLD_free(bld); }
};
struct ParamDeleter {
    void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
};
struct OpensslFreeDeleter {
    void operator()(unsigned char* p) const { OPENSSL_free(p); }
};

using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxDeleter>;
using EvpMdPtr = std::unique_ptr<EVP_MD, EvpMdDeleter>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxDeleter>;
using BignumPtr = std::unique_ptr<BIGNUM, BignumDeleter>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, ParamDeleter>;
using OpensslBytesPtr = std::unique_ptr<unsigned char, OpensslFreeDeleter>;

// Leaves the thread's OpenSSL error queue empty after a failure, so that a later, unrelated
// ERR_get_error() does not report it. Returns false for use in `return Fail();`.
inline bool ClearOpensslErrors() {
    ERR_clear_error();
    return false;
}

}  // namespace stepgate::jose::detail
