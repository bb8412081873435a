// jose::KeySet::Parse on a JWK Set document from the provider (untrusted: fetched over the
// network), then Find()/HasKid() on the result, then the fixed tokens verified against it.
//
// Properties: at most 100 keys; every key kept is usable (has an EVP key whose family fits
// its kty/crv, and fits its own alg); Find(kid, alg) returns a key with that kid that fits
// alg, and without kid only when exactly one key fits; a token signed with one of the fixed
// keys verifies against the parsed set only if the set holds that very public key.
#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/fuzz_support.h"
#include "common/known.h"
#include "jose/jwk.h"
#include "jose/jwt.h"

using namespace stepgate;

namespace {

constexpr std::array<jose::Algorithm, jose::kAlgorithmCount> kAll = {
    jose::Algorithm::kRS256, jose::Algorithm::kRS384, jose::Algorithm::kRS512,
    jose::Algorithm::kPS256, jose::Algorithm::kPS384, jose::Algorithm::kPS512,
    jose::Algorithm::kES256, jose::Algorithm::kES384, jose::Algorithm::kES512,
    jose::Algorithm::kEdDSA};

struct FixedToken {
    jose::Algorithm algorithm;
    EVP_PKEY* key;
    std::string with_kid;     // kid as in the fixed JWKS
    std::string without_kid;  // no kid: Find must pick the only fitting key
};

const std::array<FixedToken, 3>& FixedTokens() {
    static const std::array<FixedToken, 3> tokens = [] {
        const std::string claims = R"({"iss":"https://idp.example.com","aud":"stepgate-api",)"
                                   R"("sub":"alice","iat":1800000000,"exp":1800003600})";
        std::array<FixedToken, 3> t;
        const std::array<std::pair<jose::Algorithm, EVP_PKEY*>, 3> algs = {
            {{jose::Algorithm::kRS256, fuzz::Keys().rsa.get()},
             {jose::Algorithm::kES256, fuzz::Keys().p256.get()},
             {jose::Algorithm::kEdDSA, fuzz::Keys().ed25519.get()}}};
        for (std::size_t i = 0; i < algs.size(); ++i) {
            const auto [alg, key] = algs[i];
            const std::string name(jose::AlgorithmName(alg));
            t[i].algorithm = alg;
            t[i].key = key;
            t[i].with_kid = fuzz::MakeToken(
                R"({"alg":")" + name + R"(","kid":")" + std::string(fuzz::KidFor(alg)) + R"("})",
                claims, alg);
            t[i].without_kid = fuzz::MakeToken(R"({"alg":")" + name + R"("})", claims, alg);
        }
        return t;
    }();
    return tokens;
}

bool HoldsKey(const jose::KeySet& set, EVP_PKEY* key) {
    for (const auto& jwk : set.keys()) {
        if (EVP_PKEY_eq(jwk.key.get(), key) == 1) return true;
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)FixedTokens();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = jose::KeySet::Parse(text);
    if (!parsed) return 0;
    const jose::KeySet& set = *parsed;
    FUZZ_REQUIRE("jwks-keys", set.size() <= 100, text);

    for (const auto& jwk : set.keys()) {
        FUZZ_REQUIRE("jwks-keys", jwk.key != nullptr, text);
        FUZZ_REQUIRE("jwks-keys", !jwk.algorithm || jwk.Fits(*jwk.algorithm), text);
        bool fits_any = false;
        for (auto alg : kAll) fits_any = fits_any || jwk.Fits(alg);
        FUZZ_REQUIRE("jwks-keys", fits_any, text);
        FUZZ_REQUIRE("jwks-keys", set.HasKid(jwk.kid), text);
        for (auto alg : kAll) {
            if (!jwk.kid.empty()) {
                const jose::Jwk* found = set.Find(jwk.kid, alg);
                FUZZ_REQUIRE("jwks-find",
                             found == nullptr || (found->kid == jwk.kid && found->Fits(alg)), text);
                // The first key with this kid that fits is the one returned.
                if (jwk.Fits(alg)) FUZZ_REQUIRE("jwks-find", found != nullptr, text);
            }
        }
    }
    for (auto alg : kAll) {
        const jose::Jwk* found = set.Find("", alg);
        std::size_t fitting = 0;
        for (const auto& jwk : set.keys()) fitting += jwk.Fits(alg) ? 1 : 0;
        FUZZ_REQUIRE("jwks-find", (found != nullptr) == (fitting == 1), text);
        FUZZ_REQUIRE("jwks-find", found == nullptr || found->Fits(alg), text);
    }

    // RFC 8725 §3.1: a signature made with one key verifies with that public key only.
    jose::VerifyOptions options;
    options.issuer = std::string(fuzz::kIssuer);
    options.audiences = {std::string(fuzz::kAudience)};
    for (const auto& token : FixedTokens()) {
        for (const std::string* t : {&token.with_kid, &token.without_kid}) {
            auto verified = jose::VerifyJwt(*t, set, options, fuzz::kNow);
            if (verified) FUZZ_REQUIRE("jwks-verify", HoldsKey(set, token.key), text);
        }
    }
    return 0;
}
