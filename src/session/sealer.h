// Sealing cookie values with AES-256-GCM (OpenSSL EVP). Each purpose (session, flow) gets its
// own key, derived with HKDF-SHA256 from each configured secret, so a value sealed for one
// purpose never opens as another. A fresh random 96-bit IV per seal (never static: compare
// mod_auth_openidc CVE-2021-32791); the full 128-bit tag is required (cjose CVE-2023-37464).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/secret.h"

namespace stepgate::session {

class Sealer {
 public:
    // `secrets`: 32 bytes each; the first seals, all unseal (rotation).
    static Result<Sealer> Create(const std::vector<Secret>& secrets, std::string_view purpose);

    // base64url(version || iv || ciphertext || tag); `context` is bound as associated data
    // (the cookie's name), so a value cannot be moved to another cookie.
    std::string Seal(std::string_view plaintext, std::string_view context) const;
    std::optional<std::string> Unseal(std::string_view sealed, std::string_view context) const;

 private:
    struct Key {
        std::array<unsigned char, 32> bytes;
    };
    std::vector<Key> keys_;
};

}  // namespace stepgate::session
