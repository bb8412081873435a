#include "session/sealer.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <memory>

#include "jose/base64url.h"

namespace stepgate::session {

namespace {

constexpr unsigned char kVersion = 1;
constexpr std::size_t kIvBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kMaxSealedBytes = 64 * 1024;

struct CipherCtxDeleter {
    void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;
struct KdfDeleter {
    void operator()(EVP_KDF* kdf) const { EVP_KDF_free(kdf); }
};
struct KdfCtxDeleter {
    void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};

bool DeriveKey(std::string_view secret, std::string_view purpose, unsigned char* out,
               std::size_t size) {
    std::unique_ptr<EVP_KDF, KdfDeleter> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
    if (!kdf) return false;
    std::unique_ptr<EVP_KDF_CTX, KdfCtxDeleter> ctx(EVP_KDF_CTX_new(kdf.get()));
    if (!ctx) return false;
    std::string info = "stepgate cookie ";
    info += purpose;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(secret.data()),
                                          secret.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
        OSSL_PARAM_construct_end(),
    };
    return EVP_KDF_derive(ctx.get(), out, size, params) == 1;
}

}  // namespace

Result<Sealer> Sealer::Create(const std::vector<Secret>& secrets, std::string_view purpose) {
    if (secrets.empty()) return MakeError(std::string("no session secret configured"));
    Sealer sealer;
    for (const auto& secret : secrets) {
        Key key{};
        if (!DeriveKey(secret.Reveal(), purpose, key.bytes.data(), key.bytes.size())) {
            ERR_clear_error();
            return MakeError(std::string("deriving the cookie key failed"));
        }
        sealer.keys_.push_back(key);
    }
    return sealer;
}

std::string Sealer::Seal(std::string_view plaintext, std::string_view context) const {
    std::string out(1 + kIvBytes + plaintext.size() + kTagBytes, '\0');
    auto* bytes = reinterpret_cast<unsigned char*>(out.data());
    bytes[0] = kVersion;
    unsigned char* iv = bytes + 1;
    unsigned char* ciphertext = iv + kIvBytes;
    unsigned char* tag = ciphertext + plaintext.size();
    CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    int length = 0;
    const bool ok =
        ctx && RAND_bytes(iv, kIvBytes) == 1 &&
        EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, keys_.front().bytes.data(), iv) ==
            1 &&
        EVP_EncryptUpdate(ctx.get(), nullptr, &length,
                          reinterpret_cast<const unsigned char*>(context.data()),
                          static_cast<int>(context.size())) == 1 &&
        EVP_EncryptUpdate(ctx.get(), ciphertext, &length,
                          reinterpret_cast<const unsigned char*>(plaintext.data()),
                          static_cast<int>(plaintext.size())) == 1 &&
        EVP_EncryptFinal_ex(ctx.get(), ciphertext + length, &length) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes), tag) == 1;
    if (!ok) {
        // Fail closed: an empty value never unseals.
        ERR_clear_error();
        return {};
    }
    return jose::Base64UrlEncode(out);
}

std::optional<std::string> Sealer::Unseal(std::string_view sealed, std::string_view context) const {
    if (sealed.empty() || sealed.size() > kMaxSealedBytes) return std::nullopt;
    auto raw = jose::Base64UrlDecode(sealed);
    if (!raw || raw->size() < 1 + kIvBytes + kTagBytes) return std::nullopt;
    const auto* bytes = reinterpret_cast<const unsigned char*>(raw->data());
    if (bytes[0] != kVersion) return std::nullopt;
    const unsigned char* iv = bytes + 1;
    const unsigned char* ciphertext = iv + kIvBytes;
    const std::size_t ciphertext_size = raw->size() - 1 - kIvBytes - kTagBytes;
    const unsigned char* tag = ciphertext + ciphertext_size;
    std::string plaintext(ciphertext_size, '\0');
    for (const Key& key : keys_) {
        CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
        int length = 0;
        std::array<unsigned char, kTagBytes> tag_copy{};
        std::copy(tag, tag + kTagBytes, tag_copy.begin());
        const bool ok =
            ctx &&
            EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.bytes.data(), iv) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &length,
                              reinterpret_cast<const unsigned char*>(context.data()),
                              static_cast<int>(context.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plaintext.data()),
                              &length, ciphertext, static_cast<int>(ciphertext_size)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes),
                                tag_copy.data()) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(),
                                reinterpret_cast<unsigned char*>(plaintext.data()) + length,
                                &length) == 1;
        if (ok) return plaintext;
        ERR_clear_error();
    }
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return std::nullopt;
}

}  // namespace stepgate::session
