#include "jose/jwt.h"

#include <gtest/gtest.h>

#include <limits>
#include <set>
#include <string>
#include <vector>

#include "jose/base64url.h"
#include "unit/jose/token_factory.h"

namespace stepgate::jose {
namespace {

using nlohmann::json;
using testing::HmacSha256;
using testing::JwksOf;
using testing::MakeToken;
using testing::PublicJwk;
using testing::SharedTestKeys;
using testing::SigningInput;
using testing::SignRaw;

constexpr std::int64_t kNow = 1'700'000'000;
constexpr const char* kIssuer = "https://issuer.example/realms/main";

class VerifyJwtTest : public ::testing::Test {
 protected:
    VerifyJwtTest() {
        const auto& keys = SharedTestKeys();
        auto parsed = KeySet::Parse(JwksOf(json::array({
            PublicJwk(keys.rsa.get(), "rsa"), PublicJwk(keys.p256.get(), "p256"),
            PublicJwk(keys.p384.get(), "p384"), PublicJwk(keys.p521.get(), "p521"),
            PublicJwk(keys.ed25519.get(), "ed"),
            PublicJwk(keys.rsa_1024.get(), "small"),  // skipped: below 2048 bits
        })));
        EXPECT_TRUE(parsed.has_value());
        keys_ = std::move(parsed).value();
        options_.issuer = kIssuer;
        options_.audiences = {"stepgate-api", "other-api"};
    }

    static json Claims() {
        return json{{"iss", kIssuer},    {"aud", "stepgate-api"}, {"sub", "user-1"},
                    {"exp", kNow + 300}, {"iat", kNow - 10},      {"nbf", kNow - 10}};
    }

    static json Header(const char* alg, const char* kid) {
        json header{{"alg", alg}, {"typ", "JWT"}};
        if (kid != nullptr) header["kid"] = kid;
        return header;
    }

    static std::string Rs256(const json& claims) {
        return MakeToken(Header("RS256", "rsa").dump(), claims.dump(), Algorithm::kRS256,
                         SharedTestKeys().rsa.get());
    }
    static std::string Rs256(const json& header, const json& claims) {
        return MakeToken(header.dump(), claims.dump(), Algorithm::kRS256,
                         SharedTestKeys().rsa.get());
    }

    Result<core::Identity, JwtError> Verify(std::string_view token) const {
        return VerifyJwt(token, keys_, options_, kNow);
    }

    // The error, or a marker that the token was accepted.
    std::string Outcome(std::string_view token) const {
        const auto result = Verify(token);
        return result ? "accepted" : std::string(Describe(result.error()));
    }
    static std::string Refused(JwtError error) { return std::string(Describe(error)); }

    std::string ClaimsOutcome(const json& claims) const { return Outcome(Rs256(claims)); }

    KeySet keys_;
    VerifyOptions options_;
};

std::vector<std::string> SplitToken(const std::string& token) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        const auto dot = token.find('.', start);
        parts.push_back(token.substr(start, dot - start));
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return parts;
}

std::string Join(const std::vector<std::string>& parts) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) out += '.';
        out += parts[i];
    }
    return out;
}

// --- Algorithms ---------------------------------------------------------------------------

TEST_F(VerifyJwtTest, EveryAlgorithmVerifies) {
    const auto& keys = SharedTestKeys();
    struct Case {
        const char* alg;
        Algorithm algorithm;
        EVP_PKEY* key;
        const char* kid;
    };
    const Case cases[] = {
        {"RS256", Algorithm::kRS256, keys.rsa.get(), "rsa"},
        {"RS384", Algorithm::kRS384, keys.rsa.get(), "rsa"},
        {"RS512", Algorithm::kRS512, keys.rsa.get(), "rsa"},
        {"PS256", Algorithm::kPS256, keys.rsa.get(), "rsa"},
        {"PS384", Algorithm::kPS384, keys.rsa.get(), "rsa"},
        {"PS512", Algorithm::kPS512, keys.rsa.get(), "rsa"},
        {"ES256", Algorithm::kES256, keys.p256.get(), "p256"},
        {"ES384", Algorithm::kES384, keys.p384.get(), "p384"},
        {"ES512", Algorithm::kES512, keys.p521.get(), "p521"},
        {"EdDSA", Algorithm::kEdDSA, keys.ed25519.get(), "ed"},
    };
    for (const auto& c : cases) {
        const auto token =
            MakeToken(Header(c.alg, c.kid).dump(), Claims().dump(), c.algorithm, c.key);
        EXPECT_EQ(Outcome(token), "accepted") << c.alg;
        // And again without a kid: the single key that fits is used.
        const auto no_kid =
            MakeToken(Header(c.alg, nullptr).dump(), Claims().dump(), c.algorithm, c.key);
        EXPECT_EQ(Outcome(no_kid), "accepted") << c.alg << " without kid";
    }
}

TEST_F(VerifyJwtTest, RsaPkcs1AndPssAreNotInterchangeable) {
    const std::string input = SigningInput(Header("RS256", "rsa").dump(), Claims().dump());
    const std::string pss = SignRaw(Algorithm::kPS256, SharedTestKeys().rsa.get(), input);
    EXPECT_EQ(Outcome(input + "." + Base64UrlEncode(pss)), Refused(JwtError::kBadSignature));
}

TEST_F(VerifyJwtTest, AlgorithmOutsideTheAllowListIsRefused) {
    options_.allowed_algorithms = AlgorithmSet::None();
    options_.allowed_algorithms.Add(Algorithm::kES256);
    EXPECT_EQ(Outcome(Rs256(Claims())), Refused(JwtError::kAlgorithmRefused));
}

TEST_F(VerifyJwtTest, AlgNoneInAnyCaseIsRefused) {
    for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
        const std::string input = SigningInput(Header(alg, "rsa").dump(), Claims().dump());
        EXPECT_EQ(Outcome(input + "."), Refused(JwtError::kAlgorithmRefused)) << alg;
        EXPECT_EQ(Outcome(input + ".AAAA"), Refused(JwtError::kAlgorithmRefused)) << alg;
    }
}

TEST_F(VerifyJwtTest, Hs256SignedWithTheRsaPublicKeyIsRefused) {
    // Key confusion (RFC 8725 §2.1): the attacker uses the public key bytes as HMAC secret.
    EVP_PKEY* rsa = SharedTestKeys().rsa.get();
    for (const std::string& secret : {testing::PublicKeyPem(rsa), testing::PublicKeyDer(rsa)}) {
        for (const char* kid : {"rsa", static_cast<const char*>(nullptr)}) {
            const std::string input = SigningInput(Header("HS256", kid).dump(), Claims().dump());
            const std::string token = input + "." + Base64UrlEncode(HmacSha256(secret, input));
            EXPECT_EQ(Outcome(token), Refused(JwtError::kAlgorithmRefused));
        }
    }
}

TEST_F(VerifyJwtTest, UnknownMissingOrMistypedAlgIsRefused) {
    for (const json& alg : {json("rs256"), json("RS256 "), json("RSA"), json(""), json(256),
                            json(nullptr), json::array({"RS256"})}) {
        json header = Header("RS256", "rsa");
        header["alg"] = alg;
        EXPECT_EQ(Outcome(Rs256(header, Claims())), Refused(JwtError::kAlgorithmRefused))
            << alg.dump();
    }
    json header = Header("RS256", "rsa");
    header.erase("alg");
    EXPECT_EQ(Outcome(Rs256(header, Claims())), Refused(JwtError::kAlgorithmRefused));
}

// --- Keys ---------------------------------------------------------------------------------

// Each thread remembers the JOSE headers it parsed lately, by their base64url text: a header
// seen before must give the verdict a fresh parse gives, and a different header its own.
TEST_F(VerifyJwtTest, ARememberedHeaderGivesTheSameVerdictAsAFreshParse) {
    json forbidden = Header("RS256", "rsa");
    forbidden["jku"] = "https://attacker.example/jwks";
    for (int round = 0; round < 3; ++round) {
        EXPECT_EQ(Outcome(Rs256(Header("RS256", "rsa"), Claims())), "accepted") << round;
        EXPECT_EQ(Outcome(Rs256(forbidden, Claims())), Refused(JwtError::kForbiddenHeader));
        EXPECT_EQ(Outcome(Rs256(Header("RS256", "rotated-away"), Claims())),
                  Refused(JwtError::kUnknownKey));
        // The same header over other claims and a wrong signature: still checked.
        const std::string token = Rs256(Header("RS256", "rsa"), Claims());
        EXPECT_EQ(Outcome(token.substr(0, token.size() - 4) + "AAAA"),
                  Refused(JwtError::kBadSignature));
        json other = Claims();
        other["sub"] = "bob";
        EXPECT_EQ(Outcome(Rs256(Header("RS256", "rsa"), other)), "accepted");
    }
}

TEST_F(VerifyJwtTest, UnknownKidIsUnknownKey) {
    EXPECT_EQ(Outcome(Rs256(Header("RS256", "rotated-away"), Claims())),
              Refused(JwtError::kUnknownKey));
}

TEST_F(VerifyJwtTest, KidOfASkippedRsa1024KeyIsUnknownKey) {
    const auto token = MakeToken(Header("RS256", "small").dump(), Claims().dump(),
                                 Algorithm::kRS256, SharedTestKeys().rsa_1024.get());
    EXPECT_EQ(Outcome(token), Refused(JwtError::kUnknownKey));
}

TEST_F(VerifyJwtTest, KidOfAKeyOfAnotherTypeIsKeyMismatch) {
    const auto token = MakeToken(Header("ES256", "rsa").dump(), Claims().dump(), Algorithm::kES256,
                                 SharedTestKeys().p256.get());
    EXPECT_EQ(Outcome(token), Refused(JwtError::kKeyMismatch));
    const auto wrong_curve = MakeToken(Header("ES384", "p256").dump(), Claims().dump(),
                                       Algorithm::kES384, SharedTestKeys().p384.get());
    EXPECT_EQ(Outcome(wrong_curve), Refused(JwtError::kKeyMismatch));
}

TEST_F(VerifyJwtTest, JwkWithItsOwnAlgVerifiesOnlyThatAlgorithm) {
    json jwk = PublicJwk(SharedTestKeys().rsa.get(), "rsa");
    jwk["alg"] = "PS256";
    auto parsed = KeySet::Parse(JwksOf(json::array({jwk})));
    ASSERT_TRUE(parsed.has_value());
    keys_ = std::move(parsed).value();
    EXPECT_EQ(Outcome(Rs256(Claims())), Refused(JwtError::kKeyMismatch));
    const auto pss = MakeToken(Header("PS256", "rsa").dump(), Claims().dump(), Algorithm::kPS256,
                               SharedTestKeys().rsa.get());
    EXPECT_EQ(Outcome(pss), "accepted");
}

TEST_F(VerifyJwtTest, NoKidWithSeveralFittingKeysIsRefused) {
    auto parsed = KeySet::Parse(JwksOf(json::array({
        PublicJwk(SharedTestKeys().rsa.get(), "a"),
        PublicJwk(SharedTestKeys().rsa_other.get(), "b"),
    })));
    ASSERT_TRUE(parsed.has_value());
    keys_ = std::move(parsed).value();
    EXPECT_EQ(Outcome(Rs256(Header("RS256", nullptr), Claims())), Refused(JwtError::kUnknownKey));
    EXPECT_EQ(Outcome(Rs256(Header("RS256", "a"), Claims())), "accepted");
}

TEST_F(VerifyJwtTest, SignatureByAnotherKeyIsRefused) {
    const auto token = MakeToken(Header("RS256", "rsa").dump(), Claims().dump(), Algorithm::kRS256,
                                 SharedTestKeys().rsa_other.get());
    EXPECT_EQ(Outcome(token), Refused(JwtError::kBadSignature));
}

TEST_F(VerifyJwtTest, KidThatIsNotAShortStringIsMalformed) {
    json header = Header("RS256", "rsa");
    header["kid"] = 1;
    EXPECT_EQ(Outcome(Rs256(header, Claims())), Refused(JwtError::kMalformed));
    header["kid"] = std::string(257, 'k');
    EXPECT_EQ(Outcome(Rs256(header, Claims())), Refused(JwtError::kMalformed));
    header["kid"] = std::string(256, 'k');
    EXPECT_EQ(Outcome(Rs256(header, Claims())), Refused(JwtError::kUnknownKey));
}

TEST_F(VerifyJwtTest, EmptyKeySetFindsNoKey) {
    keys_ = KeySet();
    EXPECT_EQ(Outcome(Rs256(Claims())), Refused(JwtError::kUnknownKey));
}

// --- Forbidden header parameters -------------------------------------------------------------

TEST_F(VerifyJwtTest, EmbeddedOrReferencedKeysInTheHeaderAreRefused) {
    const json attacker_jwk = PublicJwk(SharedTestKeys().rsa_other.get(), "rsa");
    const std::vector<std::pair<const char*, json>> members = {
        {"jwk", attacker_jwk},
        {"jku", "https://attacker.example/jwks.json"},
        {"x5u", "https://attacker.example/cert.pem"},
        {"x5c", json::array({"MIIB"})},
    };
    for (const auto& [name, value] : members) {
        json header = Header("RS256", "rsa");
        header[name] = value;
        // Signed by the attacker key the header names, and by the real key: both refused.
        const auto attacker = MakeToken(header.dump(), Claims().dump(), Algorithm::kRS256,
                                        SharedTestKeys().rsa_other.get());
        EXPECT_EQ(Outcome(attacker), Refused(JwtError::kForbiddenHeader)) << name;
        EXPECT_EQ(Outcome(Rs256(header, Claims())), Refused(JwtError::kForbiddenHeader)) << name;
    }
}

TEST_F(VerifyJwtTest, CritHeaderIsRefused) {
    json header = Header("RS256", "rsa");
    header["crit"] = json::array({"exp"});
    header["exp"] = kNow + 10;
    EXPECT_EQ(Outcome(Rs256(header, Claims())), Refused(JwtError::kForbiddenHeader));
    header["crit"] = json::array();
    EXPECT_EQ(Outcome(Rs256(header, Claims())), Refused(JwtError::kForbiddenHeader));
    json b64 = Header("RS256", "rsa");
    b64["b64"] = false;
    b64["crit"] = json::array({"b64"});
    EXPECT_EQ(Outcome(Rs256(b64, Claims())), Refused(JwtError::kForbiddenHeader));
}

// --- Structure ----------------------------------------------------------------------------

TEST_F(VerifyJwtTest, TokenAboveTheSizeLimitIsTooLarge) {
    json claims = Claims();
    claims["padding"] = std::string(17 * 1024, 'p');
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kTooLarge));
    options_.max_token_bytes = 10;
    EXPECT_EQ(Outcome("aaaa.bbbb.cccc"), Refused(JwtError::kTooLarge));
}

TEST_F(VerifyJwtTest, TokenWithTwoOrFourPartsIsMalformed) {
    const auto parts = SplitToken(Rs256(Claims()));
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_EQ(Outcome(Join({parts[0], parts[1]})), Refused(JwtError::kMalformed));
    EXPECT_EQ(Outcome(Join({parts[0], parts[1], parts[2], parts[2]})),
              Refused(JwtError::kMalformed));
    EXPECT_EQ(Outcome(Join(parts) + "."), Refused(JwtError::kMalformed));
    EXPECT_EQ(Outcome(""), Refused(JwtError::kMalformed));
    EXPECT_EQ(Outcome(".."), Refused(JwtError::kBadJson));
    EXPECT_EQ(Outcome("no-dots-at-all"), Refused(JwtError::kMalformed));
}

TEST_F(VerifyJwtTest, TruncatedTokenIsRefused) {
    const std::string token = Rs256(Claims());
    for (std::size_t cut = 1; cut < 6; ++cut) {
        EXPECT_NE(Outcome(token.substr(0, token.size() - cut)), "accepted") << cut;
    }
    EXPECT_EQ(Outcome(token.substr(0, token.find('.') + 5)), Refused(JwtError::kMalformed));
}

TEST_F(VerifyJwtTest, PaddedBase64IsMalformed) {
    auto parts = SplitToken(Rs256(Claims()));
    // A 256-byte RSA signature leaves a 2-character final group: standard base64 pads it.
    auto padded = parts;
    padded[2] += "==";
    EXPECT_EQ(Outcome(Join(padded)), Refused(JwtError::kMalformed));
    const json header = Header("RS256", "rsa");
    std::string header_text = header.dump();
    while (Base64UrlEncode(header_text).size() % 4 == 0) header_text += ' ';
    auto padded_header = SplitToken(Rs256(json::parse(header_text), Claims()));
    padded_header[0] = Base64UrlEncode(header_text) + "=";
    EXPECT_EQ(Outcome(Join(padded_header)), Refused(JwtError::kMalformed));
}

TEST_F(VerifyJwtTest, StandardBase64CharactersAreMalformed) {
    auto parts = SplitToken(Rs256(Claims()));
    auto plus = parts;
    plus[2][0] = '+';
    EXPECT_EQ(Outcome(Join(plus)), Refused(JwtError::kMalformed));
    auto slash = parts;
    slash[1][0] = '/';
    EXPECT_EQ(Outcome(Join(slash)), Refused(JwtError::kMalformed));
}

TEST_F(VerifyJwtTest, NonCanonicalTrailingBitsAreMalformed) {
    // 64-byte ES256 signature: 86 characters, the last carrying 4 unused bits.
    const auto token = MakeToken(Header("ES256", "p256").dump(), Claims().dump(), Algorithm::kES256,
                                 SharedTestKeys().p256.get());
    auto parts = SplitToken(token);
    ASSERT_EQ(parts[2].size(), 86u);
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const auto index = alphabet.find(parts[2].back());
    parts[2].back() = alphabet[index | 1];
    EXPECT_EQ(Outcome(Join(parts)), Refused(JwtError::kMalformed));
}

TEST_F(VerifyJwtTest, WhitespaceInTheTokenIsMalformed) {
    const std::string token = Rs256(Claims());
    EXPECT_EQ(Outcome(" " + token), Refused(JwtError::kMalformed));
    EXPECT_EQ(Outcome(token + "\n"), Refused(JwtError::kMalformed));
}

TEST_F(VerifyJwtTest, HeaderOrPayloadThatIsNotAJsonObjectIsBadJson) {
    for (const char* text : {"[]", "\"x\"", "1", "null", "{", "{\"alg\":\"RS256\"} x", ""}) {
        const std::string input = Base64UrlEncode(text) + "." + Base64UrlEncode(Claims().dump());
        EXPECT_EQ(Outcome(input + ".AAAA"), Refused(JwtError::kBadJson)) << text;
        const std::string token = MakeToken(Header("RS256", "rsa").dump(), text, Algorithm::kRS256,
                                            SharedTestKeys().rsa.get());
        EXPECT_EQ(Outcome(token), Refused(JwtError::kBadJson)) << text;
    }
}

TEST_F(VerifyJwtTest, DuplicateMemberNamesAreBadJson) {
    const std::string header = R"({"alg":"RS256","kid":"rsa","alg":"none"})";
    EXPECT_EQ(
        Outcome(MakeToken(header, Claims().dump(), Algorithm::kRS256, SharedTestKeys().rsa.get())),
        Refused(JwtError::kBadJson));
    std::string claims = Claims().dump();
    claims.insert(1, R"("sub":"admin",)");
    EXPECT_EQ(Outcome(MakeToken(Header("RS256", "rsa").dump(), claims, Algorithm::kRS256,
                                SharedTestKeys().rsa.get())),
              Refused(JwtError::kBadJson));
    // The same name spelled with an escape is the same name.
    std::string escaped = Claims().dump();
    escaped.insert(1, R"("\u0073ub":"admin",)");
    EXPECT_EQ(Outcome(MakeToken(Header("RS256", "rsa").dump(), escaped, Algorithm::kRS256,
                                SharedTestKeys().rsa.get())),
              Refused(JwtError::kBadJson));
    // Nested objects are checked too; the same name in different objects is fine.
    std::string nested = Claims().dump();
    nested.insert(1, R"("realm":{"roles":[],"roles":[]},)");
    EXPECT_EQ(Outcome(MakeToken(Header("RS256", "rsa").dump(), nested, Algorithm::kRS256,
                                SharedTestKeys().rsa.get())),
              Refused(JwtError::kBadJson));
    std::string siblings = Claims().dump();
    siblings.insert(1, R"("a":{"sub":1},"b":[{"sub":2},{"sub":3}],)");
    EXPECT_EQ(Outcome(MakeToken(Header("RS256", "rsa").dump(), siblings, Algorithm::kRS256,
                                SharedTestKeys().rsa.get())),
              "accepted");
}

TEST_F(VerifyJwtTest, DuplicateNamesDeepInArraysOfObjectsAreBadJson) {
    for (const char* members :
         {R"("roles":[{"x":1},{"x":1,"x":2}],)", R"("a":{"b":[[{"c":{"d":1,"d":1}}]]},)",
          R"("tenant":{"x":1,"x":2},)"}) {
        std::string claims = Claims().dump();
        claims.insert(1, members);
        EXPECT_EQ(Outcome(MakeToken(Header("RS256", "rsa").dump(), claims, Algorithm::kRS256,
                                    SharedTestKeys().rsa.get())),
                  Refused(JwtError::kBadJson))
            << members;
    }
    const std::string header = R"({"alg":"RS256","kid":"rsa","ext":[{"k":1,"k":1}]})";
    EXPECT_EQ(
        Outcome(MakeToken(header, Claims().dump(), Algorithm::kRS256, SharedTestKeys().rsa.get())),
        Refused(JwtError::kBadJson));
}

TEST_F(VerifyJwtTest, BadJsonIsFoundBeforeTheSignatureIsChecked) {
    // RFC 7515 §5.2 steps 3-4 (and 7519 §7.2 step 8) come before step 8's signature check.
    std::string claims = Claims().dump();
    claims.insert(1, R"("a":{"x":1,"x":2},)");
    auto parts = SplitToken(Rs256(Claims()));
    parts[1] = Base64UrlEncode(claims);
    EXPECT_EQ(Outcome(Join(parts)), Refused(JwtError::kBadJson));
    parts = SplitToken(Rs256(Claims()));
    parts[0] = Base64UrlEncode(R"({"alg":"RS256","kid":"rsa","x":[{"y":1,"y":1}]})");
    EXPECT_EQ(Outcome(Join(parts)), Refused(JwtError::kBadJson));
}

TEST_F(VerifyJwtTest, InvalidUtf8OrDeepNestingIsBadJson) {
    std::string claims = Claims().dump();
    claims.insert(1, "\"name\":\"\xff\xfe\",");
    EXPECT_EQ(Outcome(MakeToken(Header("RS256", "rsa").dump(), claims, Algorithm::kRS256,
                                SharedTestKeys().rsa.get())),
              Refused(JwtError::kBadJson));
    std::string deep = Claims().dump();
    deep.insert(1, "\"deep\":" + std::string(100, '[') + std::string(100, ']') + ",");
    EXPECT_EQ(Outcome(MakeToken(Header("RS256", "rsa").dump(), deep, Algorithm::kRS256,
                                SharedTestKeys().rsa.get())),
              Refused(JwtError::kBadJson));
}

// --- Signatures ---------------------------------------------------------------------------

TEST_F(VerifyJwtTest, TamperedPayloadIsRefused) {
    auto parts = SplitToken(Rs256(Claims()));
    json claims = Claims();
    claims["sub"] = "admin";
    parts[1] = Base64UrlEncode(claims.dump());
    EXPECT_EQ(Outcome(Join(parts)), Refused(JwtError::kBadSignature));
}

TEST_F(VerifyJwtTest, TamperedSignatureIsRefused) {
    const auto& keys = SharedTestKeys();
    const std::vector<std::string> tokens = {
        Rs256(Claims()),
        MakeToken(Header("PS256", "rsa").dump(), Claims().dump(), Algorithm::kPS256,
                  keys.rsa.get()),
        MakeToken(Header("ES256", "p256").dump(), Claims().dump(), Algorithm::kES256,
                  keys.p256.get()),
        MakeToken(Header("EdDSA", "ed").dump(), Claims().dump(), Algorithm::kEdDSA,
                  keys.ed25519.get()),
    };
    for (const auto& token : tokens) {
        auto parts = SplitToken(token);
        auto signature = *Base64UrlDecode(parts[2]);
        signature[signature.size() / 2] = static_cast<char>(signature[signature.size() / 2] ^ 1);
        parts[2] = Base64UrlEncode(signature);
        EXPECT_EQ(Outcome(Join(parts)), Refused(JwtError::kBadSignature)) << parts[0];
    }
}

TEST_F(VerifyJwtTest, SignatureOfTheWrongLengthIsRefused) {
    auto parts = SplitToken(Rs256(Claims()));
    auto signature = *Base64UrlDecode(parts[2]);
    parts[2] = Base64UrlEncode(signature.substr(1));
    EXPECT_EQ(Outcome(Join(parts)), Refused(JwtError::kBadSignature));
    parts[2] = Base64UrlEncode(std::string(1, '\0') + signature);
    EXPECT_EQ(Outcome(Join(parts)), Refused(JwtError::kBadSignature));
    parts[2] = "";
    EXPECT_EQ(Outcome(Join(parts)), Refused(JwtError::kBadSignature));
}

TEST_F(VerifyJwtTest, Es256WithZeroRAndSIsRefused) {
    // CVE-2022-21449 ("psychic signatures"): r = s = 0 must never verify.
    const std::string input = SigningInput(Header("ES256", "p256").dump(), Claims().dump());
    EXPECT_EQ(Outcome(input + "." + Base64UrlEncode(std::string(64, '\0'))),
              Refused(JwtError::kBadSignature));
    const std::string good = SignRaw(Algorithm::kES256, SharedTestKeys().p256.get(), input);
    EXPECT_EQ(Outcome(input + "." + Base64UrlEncode(std::string(32, '\0') + good.substr(32))),
              Refused(JwtError::kBadSignature));
    EXPECT_EQ(Outcome(input + "." + Base64UrlEncode(good.substr(0, 32) + std::string(32, '\0'))),
              Refused(JwtError::kBadSignature));
    EXPECT_EQ(Outcome(input + "." + Base64UrlEncode(good)), "accepted");
}

TEST_F(VerifyJwtTest, Es256WithRAndSAtTheGroupOrderIsRefused) {
    // n of P-256: r = s = n is r = s = 0 modulo n.
    const std::string n = *Base64UrlDecode("_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE");
    ASSERT_EQ(n.size(), 32u);
    const std::string input = SigningInput(Header("ES256", "p256").dump(), Claims().dump());
    EXPECT_EQ(Outcome(input + "." + Base64UrlEncode(n + n)), Refused(JwtError::kBadSignature));
}

TEST_F(VerifyJwtTest, EcdsaDerSignatureIsRefused) {
    const std::string input = SigningInput(Header("ES256", "p256").dump(), Claims().dump());
    const std::string der =
        testing::SignEcdsaDer(Algorithm::kES256, SharedTestKeys().p256.get(), input);
    EXPECT_EQ(Outcome(input + "." + Base64UrlEncode(der)), Refused(JwtError::kBadSignature));
    // Even a DER signature that happens to be 64 bytes long does not verify as R || S.
    std::string padded = der;
    padded.resize(64, '\0');
    EXPECT_EQ(Outcome(input + "." + Base64UrlEncode(padded)), Refused(JwtError::kBadSignature));
}

TEST_F(VerifyJwtTest, ClaimsAreNotLookedAtBeforeTheSignatureVerifies) {
    json claims = Claims();
    claims["exp"] = "never";
    claims["iss"] = "https://attacker.example";
    auto parts = SplitToken(Rs256(Claims()));
    parts[1] = Base64UrlEncode(claims.dump());
    EXPECT_EQ(Outcome(Join(parts)), Refused(JwtError::kBadSignature));
    EXPECT_EQ(Outcome(Rs256(Header("RS256", "unknown"), claims)), Refused(JwtError::kUnknownKey));
}

// --- Time claims --------------------------------------------------------------------------

TEST_F(VerifyJwtTest, ExpiredTokenIsRefused) {
    json claims = Claims();
    claims["exp"] = kNow - 3600;
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kExpired));
}

TEST_F(VerifyJwtTest, ExpiryHonoursLeewayToTheSecond) {
    json claims = Claims();
    claims["exp"] = kNow - 30;  // now == exp + leeway: still valid
    EXPECT_EQ(ClaimsOutcome(claims), "accepted");
    claims["exp"] = kNow - 31;
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kExpired));
    options_.leeway_seconds = 0;
    claims["exp"] = kNow;
    EXPECT_EQ(ClaimsOutcome(claims), "accepted");
    claims["exp"] = kNow - 1;
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kExpired));
}

TEST_F(VerifyJwtTest, MissingExpIsRefused) {
    json claims = Claims();
    claims.erase("exp");
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kMissingExp));
}

TEST_F(VerifyJwtTest, ExpThatIsNotASafeNumberIsBadClaim) {
    for (const json& exp : {json("1700000300"), json(true), json(nullptr), json::array({1}),
                            json(1e300), json(-1e300), json((std::int64_t{1} << 53) + 1),
                            json(std::uint64_t{18446744073709551615u})}) {
        json claims = Claims();
        claims["exp"] = exp;
        EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kBadClaim)) << exp.dump();
    }
    // A huge literal that does not fit any integer type is parsed as a double and refused.
    std::string text = Claims().dump();
    text.insert(1, R"("x":0,)");
    const auto at = text.find("\"exp\":") + 6;
    const auto end = text.find_first_of(",}", at);
    text.replace(at, end - at, "1" + std::string(400, '0'));
    EXPECT_EQ(Outcome(MakeToken(Header("RS256", "rsa").dump(), text, Algorithm::kRS256,
                                SharedTestKeys().rsa.get())),
              Refused(JwtError::kBadJson));  // 1e400 overflows a double: not JSON we accept
}

TEST_F(VerifyJwtTest, FractionalExpIsTruncatedToSeconds) {
    json claims = Claims();
    claims["exp"] = static_cast<double>(kNow - 30) + 0.9;  // truncated to now - 30
    const auto result = Verify(Rs256(claims));
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->expires_at, kNow - 30);
}

TEST_F(VerifyJwtTest, TokenNotYetValidIsRefused) {
    json claims = Claims();
    claims["nbf"] = kNow + 31;
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kNotYetValid));
    claims["nbf"] = kNow + 30;
    EXPECT_EQ(ClaimsOutcome(claims), "accepted");
    claims["nbf"] = "soon";
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kBadClaim));
}

TEST_F(VerifyJwtTest, TokenIssuedInTheFutureIsRefused) {
    json claims = Claims();
    claims["iat"] = kNow + 31;
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kIssuedInFuture));
    claims["iat"] = kNow + 30;
    EXPECT_EQ(ClaimsOutcome(claims), "accepted");
    claims["iat"] = json::object();
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kBadClaim));
}

TEST_F(VerifyJwtTest, HugeLeewayDoesNotOverflow) {
    options_.leeway_seconds = std::numeric_limits<std::int64_t>::max();
    json claims = Claims();
    claims["exp"] = -(std::int64_t{1} << 53);
    EXPECT_EQ(ClaimsOutcome(claims), "accepted");
    options_.leeway_seconds = -100;  // treated as zero
    claims["exp"] = kNow - 1;
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kExpired));
}

// --- Issuer, audience, subject ------------------------------------------------------------------

TEST_F(VerifyJwtTest, WrongIssuerIsRefused) {
    for (const json& iss :
         {json("https://attacker.example"), json(std::string(kIssuer) + "/"),
          json("HTTPS://issuer.example/realms/main"), json(""), json(1), json::array({kIssuer})}) {
        json claims = Claims();
        claims["iss"] = iss;
        EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kWrongIssuer)) << iss.dump();
    }
    json claims = Claims();
    claims.erase("iss");
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kWrongIssuer));
}

TEST_F(VerifyJwtTest, EmptyConfiguredIssuerAcceptsNoToken) {
    options_.issuer.clear();
    json claims = Claims();
    claims["iss"] = "";
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kWrongIssuer));
}

TEST_F(VerifyJwtTest, AudienceAsStringOrArrayMustContainOneOfOurs) {
    json claims = Claims();
    claims["aud"] = "other-api";
    EXPECT_EQ(ClaimsOutcome(claims), "accepted");
    claims["aud"] = json::array({"someone-else", "stepgate-api", "third"});
    EXPECT_EQ(ClaimsOutcome(claims), "accepted");
    claims["aud"] = json::array({"someone-else"});
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kWrongAudience));
    claims["aud"] = "stepgate-api ";
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kWrongAudience));
    claims["aud"] = json::array();
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kWrongAudience));
    claims.erase("aud");
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kWrongAudience));
}

TEST_F(VerifyJwtTest, AudienceOfTheWrongTypeIsBadClaim) {
    json claims = Claims();
    claims["aud"] = 1;
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kBadClaim));
    claims["aud"] = json::array({"stepgate-api", 1});
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kBadClaim));
}

TEST_F(VerifyJwtTest, NoConfiguredAudienceAcceptsNoToken) {
    options_.audiences.clear();
    EXPECT_EQ(ClaimsOutcome(Claims()), Refused(JwtError::kWrongAudience));
}

TEST_F(VerifyJwtTest, MissingOrEmptySubjectIsBadClaim) {
    json claims = Claims();
    claims.erase("sub");
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kBadClaim));
    claims["sub"] = "";
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kBadClaim));
    claims["sub"] = 42;
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kBadClaim));
}

// --- Nonce and azp (ID tokens) --------------------------------------------------------------

TEST_F(VerifyJwtTest, NonceMustMatchWhenExpected) {
    options_.expected_nonce = "n-0S6_WzA2Mj";
    json claims = Claims();
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kWrongNonce));
    claims["nonce"] = "n-0S6_WzA2Mk";
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kWrongNonce));
    claims["nonce"] = "n-0S6_WzA2Mj ";
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kWrongNonce));
    claims["nonce"] = 1;
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kWrongNonce));
    claims["nonce"] = "n-0S6_WzA2Mj";
    EXPECT_EQ(ClaimsOutcome(claims), "accepted");
}

TEST_F(VerifyJwtTest, NonceIsIgnoredWhenNotExpected) {
    json claims = Claims();
    claims["nonce"] = "anything";
    EXPECT_EQ(ClaimsOutcome(claims), "accepted");
}

TEST_F(VerifyJwtTest, AuthorizedPartyMustMatchWhenPresent) {
    options_.expected_azp = "stepgate-api";
    json claims = Claims();
    EXPECT_EQ(ClaimsOutcome(claims), "accepted");  // one audience, no azp
    claims["azp"] = "stepgate-api";
    EXPECT_EQ(ClaimsOutcome(claims), "accepted");
    claims["azp"] = "another-client";
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kWrongAuthorizedParty));
    claims["azp"] = json::array({"stepgate-api"});
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kWrongAuthorizedParty));
}

TEST_F(VerifyJwtTest, SeveralAudiencesRequireAuthorizedParty) {
    options_.expected_azp = "stepgate-api";
    json claims = Claims();
    claims["aud"] = json::array({"stepgate-api", "other"});
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kWrongAuthorizedParty));
    claims["azp"] = "stepgate-api";
    EXPECT_EQ(ClaimsOutcome(claims), "accepted");
    claims["aud"] = json::array({"stepgate-api"});
    claims.erase("azp");
    EXPECT_EQ(ClaimsOutcome(claims), "accepted");
}

// --- Identity -------------------------------------------------------------------------------

TEST_F(VerifyJwtTest, VerifiedTokenFillsTheIdentity) {
    json claims = Claims();
    claims["email"] = "ada@example.com";
    claims["preferred_username"] = "ada";
    claims["acr"] = "urn:mfa";
    claims["amr"] = json::array({"pwd", "otp"});
    claims["groups"] = json::array({"admins", "devs"});
    claims["scope"] = "openid  read:things write";
    claims["auth_time"] = kNow - 100;
    const auto result = Verify(Rs256(claims));
    ASSERT_TRUE(result.has_value()) << Describe(result.error());
    const core::Identity& identity = *result;
    EXPECT_EQ(identity.kind, core::CredentialKind::kBearerToken);
    EXPECT_EQ(identity.subject, "user-1");
    EXPECT_EQ(identity.issuer, kIssuer);
    EXPECT_EQ(identity.email, "ada@example.com");
    EXPECT_EQ(identity.preferred_username, "ada");
    EXPECT_EQ(identity.acr, "urn:mfa");
    EXPECT_EQ(identity.amr, (std::vector<std::string>{"pwd", "otp"}));
    EXPECT_EQ(identity.groups, (std::vector<std::string>{"admins", "devs"}));
    EXPECT_EQ(identity.scopes, (std::vector<std::string>{"openid", "read:things", "write"}));
    EXPECT_EQ(identity.auth_time, kNow - 100);
    EXPECT_EQ(identity.expires_at, kNow + 300);
    EXPECT_TRUE(identity.claims.empty());
    EXPECT_EQ(identity.level, core::kNoLevel);
}

TEST_F(VerifyJwtTest, AbsentOptionalClaimsLeaveTheIdentityEmpty) {
    const auto result = Verify(Rs256(Claims()));
    ASSERT_TRUE(result.has_value());
    EXPECT_TRUE(result->email.empty());
    EXPECT_TRUE(result->acr.empty());
    EXPECT_TRUE(result->amr.empty());
    EXPECT_TRUE(result->groups.empty());
    EXPECT_TRUE(result->scopes.empty());
    EXPECT_FALSE(result->auth_time.has_value());
}

TEST_F(VerifyJwtTest, SingleStringAmrAndGroupsAreOneElement) {
    json claims = Claims();
    claims["amr"] = "hwk";
    claims["groups"] = "admins devs";
    const auto result = Verify(Rs256(claims));
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->amr, (std::vector<std::string>{"hwk"}));
    EXPECT_EQ(result->groups, (std::vector<std::string>{"admins devs"}));
}

TEST_F(VerifyJwtTest, ScpFillsScopesAsArrayOrString) {
    json claims = Claims();
    claims["scp"] = json::array({"read", "write"});
    auto result = Verify(Rs256(claims));
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->scopes, (std::vector<std::string>{"read", "write"}));
    claims["scp"] = "User.Read Mail.Send";
    result = Verify(Rs256(claims));
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->scopes, (std::vector<std::string>{"User.Read", "Mail.Send"}));
}

TEST_F(VerifyJwtTest, IdentityClaimsOfTheWrongTypeAreBadClaim) {
    const std::vector<std::pair<const char*, json>> cases = {
        {"acr", 1},
        {"acr", json::array({"urn:mfa"})},
        {"amr", json::array({"pwd", 1})},
        {"amr", json::object()},
        {"groups", json::array({json::object()})},
        {"groups", true},
        {"scope", json::array({"read"})},
        {"scp", 7},
        {"auth_time", "yesterday"},
        {"auth_time", 1e300},
    };
    for (const auto& [name, value] : cases) {
        json claims = Claims();
        claims[name] = value;
        EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kBadClaim)) << name << value.dump();
    }
}

TEST_F(VerifyJwtTest, ExtraClaimsAreFlattenedToStrings) {
    options_.extra_claims = {"tenant", "level", "flag", "roles", "obj", "nil", "absent", "tenant"};
    json claims = Claims();
    claims["tenant"] = "acme";
    claims["level"] = 3;
    claims["flag"] = true;
    claims["roles"] =
        json::array({"a", 2, false, json::array({"nested"}), json::object(), nullptr});
    claims["obj"] = json{{"k", "v"}};
    claims["nil"] = nullptr;
    const auto result = Verify(Rs256(claims));
    ASSERT_TRUE(result.has_value());
    const auto& identity = *result;
    ASSERT_EQ(identity.claims.size(), 6u);  // absent left out, duplicate name once
    const auto values = [&identity](std::string_view name) {
        const core::ClaimValues* claim = identity.FindClaim(name);
        return claim != nullptr ? claim->values : std::vector<std::string>{"<absent>"};
    };
    EXPECT_EQ(values("tenant"), (std::vector<std::string>{"acme"}));
    EXPECT_EQ(values("level"), (std::vector<std::string>{"3"}));
    EXPECT_EQ(values("flag"), (std::vector<std::string>{"true"}));
    EXPECT_EQ(values("roles"), (std::vector<std::string>{"a", "2", "false", "nested"}));
    EXPECT_TRUE(values("obj").empty());
    EXPECT_TRUE(values("nil").empty());
    EXPECT_EQ(identity.FindClaim("absent"), nullptr);
}

TEST_F(VerifyJwtTest, StringClaimsOfAnotherTypeCountAsAbsent) {
    json claims = Claims();
    claims["iss"] = json::array({kIssuer});
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kWrongIssuer));
    claims = Claims();
    claims["sub"] = json::array({"user-1"});
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kBadClaim));
    claims = Claims();
    claims["email"] = 1;
    claims["preferred_username"] = json::object();
    const auto result = Verify(Rs256(claims));
    ASSERT_TRUE(result.has_value());
    EXPECT_TRUE(result->email.empty());
    EXPECT_TRUE(result->preferred_username.empty());
}

TEST_F(VerifyJwtTest, NumericDatesAreIntegersOrTruncatedFloatsWithinTwoToThe53) {
    const std::int64_t limit = std::int64_t{1} << 53;
    json claims = Claims();
    claims["exp"] = limit;
    claims["nbf"] = -limit;
    claims["iat"] = -1.5;
    claims["auth_time"] = static_cast<double>(kNow) + 0.9;
    auto result = Verify(Rs256(claims));
    ASSERT_TRUE(result.has_value()) << Describe(result.error());
    EXPECT_EQ(result->expires_at, limit);
    EXPECT_EQ(result->auth_time, kNow);
    for (const char* name : {"nbf", "iat", "auth_time"}) {
        for (const json& value : {json(-limit - 1), json(limit + 1), json(-1e17), json("1"),
                                  json(false), json::array()}) {
            claims = Claims();
            claims[name] = value;
            EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kBadClaim))
                << name << " " << value.dump();
        }
    }
    claims = Claims();
    claims["auth_time"] = kNow + 31;
    EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kIssuedInFuture));
}

TEST_F(VerifyJwtTest, ScpArrayElementsAreTakenWholeAndScopeWins) {
    const std::vector<std::pair<json, std::vector<std::string>>> filled = {
        {json{{"scp", {"a b", "c"}}}, {"a b", "c"}},
        {json{{"scp", {"a b", "c"}}, {"scope", "x  y"}}, {"x", "y"}},
    };
    for (const auto& [members, scopes] : filled) {
        json claims = Claims();
        claims.update(members);
        const auto result = Verify(Rs256(claims));
        ASSERT_TRUE(result.has_value()) << members.dump();
        EXPECT_EQ(result->scopes, scopes) << members.dump();
    }
    // A scope of the wrong type is refused, scp is no fallback; nor is an scp with a null.
    for (const json& members :
         {json{{"scp", "a"}, {"scope", 1}}, json{{"scp", json::array({"a", nullptr})}}}) {
        json claims = Claims();
        claims.update(members);
        EXPECT_EQ(ClaimsOutcome(claims), Refused(JwtError::kBadClaim)) << members.dump();
    }
}

TEST_F(VerifyJwtTest, ExtraClaimsMayNameRegisteredOnesAndNestDeeply) {
    options_.extra_claims = {"groups", "exp", "aud", "deep", "ratio"};
    json claims = Claims();
    claims["groups"] = json::array({"admins"});
    claims["deep"] = json::array({json::array({json::array({1, "two", json::object()}), 3.0}),
                                  json{{"no", json::array({"no"})}}});
    claims["ratio"] = 0.25;
    const auto result = Verify(Rs256(claims));
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->groups, (std::vector<std::string>{"admins"}));
    ASSERT_EQ(result->claims.size(), 5u);
    EXPECT_EQ(result->claims[0].values, (std::vector<std::string>{"admins"}));
    EXPECT_EQ(result->claims[1].values, (std::vector<std::string>{std::to_string(kNow + 300)}));
    EXPECT_EQ(result->claims[2].values, (std::vector<std::string>{"stepgate-api"}));
    EXPECT_EQ(result->claims[3].values, (std::vector<std::string>{"1", "two", "3.0"}));
    EXPECT_EQ(result->claims[4].values, (std::vector<std::string>{"0.25"}));
}

TEST_F(VerifyJwtTest, IdentityFromClaimsSkipsTheTokenChecksButNotTheTypes) {
    options_.extra_claims = {"tenant"};
    auto result = IdentityFromClaims(
        R"({"sub":"u","iss":"anyone","aud":7,"exp":12.5,"tenant":["t",1],"groups":"g"})", options_);
    ASSERT_TRUE(result.has_value()) << Describe(result.error());
    EXPECT_EQ(result->subject, "u");
    EXPECT_EQ(result->issuer, "anyone");
    EXPECT_EQ(result->expires_at, 12);
    EXPECT_EQ(result->groups, (std::vector<std::string>{"g"}));
    ASSERT_EQ(result->claims.size(), 1u);
    EXPECT_EQ(result->claims[0].values, (std::vector<std::string>{"t", "1"}));
    result = IdentityFromClaims(R"({"sub":"u","iss":1})", options_);
    ASSERT_TRUE(result.has_value());
    EXPECT_TRUE(result->issuer.empty());
    EXPECT_EQ(result->expires_at, 0);
    const std::vector<std::pair<const char*, JwtError>> refused = {
        {R"({"sub":"u","exp":"soon"})", JwtError::kBadClaim},
        {R"({"sub":"u","exp":1e16})", JwtError::kBadClaim},
        {R"({"iss":"i"})", JwtError::kBadClaim},
        {R"({"sub":"u","amr":[1]})", JwtError::kBadClaim},
        {R"({"sub":"u","x":{"y":1,"y":1}})", JwtError::kBadJson},
        {R"({"sub":"u","sub":"v"})", JwtError::kBadJson},
        {R"(["sub"])", JwtError::kBadJson},
        {"", JwtError::kBadJson},
    };
    for (const auto& [text, error] : refused) {
        result = IdentityFromClaims(text, options_);
        ASSERT_FALSE(result.has_value()) << text;
        EXPECT_EQ(result.error(), error) << text;
    }
}

// --- Describe -------------------------------------------------------------------------------

TEST(DescribeJwtError, EveryErrorHasDistinctFixedClientSafeText) {
    std::set<std::string> seen;
    for (int i = 0; i <= static_cast<int>(JwtError::kBadClaim); ++i) {
        const std::string text(Describe(static_cast<JwtError>(i)));
        EXPECT_FALSE(text.empty());
        EXPECT_LT(text.size(), 80u);
        EXPECT_EQ(text.find_first_of("\"\\\r\n"), std::string::npos) << text;
        EXPECT_TRUE(seen.insert(text).second) << text;
    }
}

TEST_F(VerifyJwtTest, RefusalTextNeverReflectsTheToken) {
    json claims = Claims();
    claims["iss"] = "<script>evil</script>";
    const auto result = Verify(Rs256(Header("RS256", "\"evil-kid"), claims));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(std::string(Describe(result.error())).find("evil"), std::string::npos);
}

}  // namespace
}  // namespace stepgate::jose
