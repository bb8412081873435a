#include "jose/jwk.h"

#include <gtest/gtest.h>

#include <string>

#include "jose/base64url.h"
#include "unit/jose/token_factory.h"

namespace stepgate::jose {
namespace {

using nlohmann::json;
using testing::JwksOf;
using testing::PublicJwk;
using testing::SharedTestKeys;

KeySet ParseOk(const std::string& document) {
    auto parsed = KeySet::Parse(document);
    EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error());
    if (!parsed) return KeySet();
    return std::move(parsed).value();
}

std::size_t ParsedCount(const json& jwk) { return ParseOk(JwksOf(json::array({jwk}))).size(); }

TEST(ParseAlgorithm, NamesAreExactAndCaseSensitive) {
    EXPECT_EQ(ParseAlgorithm("RS256"), Algorithm::kRS256);
    EXPECT_EQ(ParseAlgorithm("PS512"), Algorithm::kPS512);
    EXPECT_EQ(ParseAlgorithm("ES384"), Algorithm::kES384);
    EXPECT_EQ(ParseAlgorithm("EdDSA"), Algorithm::kEdDSA);
    EXPECT_FALSE(ParseAlgorithm("rs256"));
    EXPECT_FALSE(ParseAlgorithm("RS256 "));
    EXPECT_FALSE(ParseAlgorithm("EDDSA"));
    EXPECT_FALSE(ParseAlgorithm(""));
    EXPECT_FALSE(ParseAlgorithm(std::string("RS256\0", 6)));
}

TEST(ParseAlgorithm, NoneAndHmacAreNeverAlgorithms) {
    for (const char* name : {"none", "None", "NONE", "nOnE", "HS256", "HS384", "HS512"}) {
        EXPECT_FALSE(ParseAlgorithm(name)) << name;
    }
}

TEST(ParseAlgorithm, EveryAlgorithmRoundTripsThroughItsName) {
    for (int i = 0; i < kAlgorithmCount; ++i) {
        const auto algorithm = static_cast<Algorithm>(i);
        EXPECT_EQ(ParseAlgorithm(AlgorithmName(algorithm)), algorithm);
    }
}

TEST(AlgorithmSet, AllContainsEveryAlgorithmAndNoneNothing) {
    const auto all = AlgorithmSet::All();
    auto some = AlgorithmSet::None();
    EXPECT_TRUE(some.empty());
    some.Add(Algorithm::kES256);
    for (int i = 0; i < kAlgorithmCount; ++i) {
        const auto algorithm = static_cast<Algorithm>(i);
        EXPECT_TRUE(all.Contains(algorithm));
        EXPECT_EQ(some.Contains(algorithm), algorithm == Algorithm::kES256);
    }
}

TEST(KeySet, ParsesRsaEcAndOkpPublicKeys) {
    const auto& keys = SharedTestKeys();
    const KeySet set = ParseOk(JwksOf(json::array({
        PublicJwk(keys.rsa.get(), "rsa"),
        PublicJwk(keys.p256.get(), "p256"),
        PublicJwk(keys.p384.get(), "p384"),
        PublicJwk(keys.p521.get(), "p521"),
        PublicJwk(keys.ed25519.get(), "ed"),
    })));
    ASSERT_EQ(set.size(), 5u);
    EXPECT_EQ(set.keys()[0].type, KeyType::kRsa);
    EXPECT_EQ(set.keys()[1].type, KeyType::kEc);
    EXPECT_EQ(set.keys()[1].curve, "P-256");
    EXPECT_EQ(set.keys()[3].curve, "P-521");
    EXPECT_EQ(set.keys()[4].type, KeyType::kOkp);
    EXPECT_EQ(set.keys()[4].curve, "Ed25519");
    for (const Jwk& jwk : set.keys()) EXPECT_NE(jwk.key, nullptr);
}

TEST(KeySet, EmptyKeysArrayIsAnEmptySet) { EXPECT_EQ(ParseOk(R"({"keys":[]})").size(), 0u); }

TEST(KeySet, DocumentThatIsNotAJwkSetIsAnError) {
    for (const char* document :
         {"", "[]", "\"keys\"", "null", "{}", R"({"keys":{}})", R"({"keys":"x"})", "{\"keys\":[",
          R"({"keys":[]} trailing)", R"({"keys":[],"keys":[]})"}) {
        EXPECT_FALSE(KeySet::Parse(document).has_value()) << document;
    }
}

TEST(KeySet, MoreThan100KeysIsAnError) {
    const json jwk = PublicJwk(SharedTestKeys().p256.get(), "");
    json array = json::array();
    for (int i = 0; i < 101; ++i) array.push_back(jwk);
    EXPECT_FALSE(KeySet::Parse(JwksOf(array)).has_value());
    array.erase(array.begin());
    EXPECT_EQ(ParseOk(JwksOf(array)).size(), 100u);
}

TEST(KeySet, DocumentAboveOneMebibyteIsAnError) {
    std::string document = R"({"keys":[],"padding":")";
    document.append(1024 * 1024, 'a');
    document += "\"}";
    EXPECT_FALSE(KeySet::Parse(document).has_value());
}

TEST(KeySet, NonObjectEntriesAreSkipped) {
    EXPECT_EQ(ParseOk(R"({"keys":[1,"x",null,[]]})").size(), 0u);
}

TEST(KeySet, RsaKeyBelow2048BitsIsSkipped) {
    EXPECT_EQ(ParsedCount(PublicJwk(SharedTestKeys().rsa_1024.get(), "small")), 0u);
    EXPECT_EQ(ParsedCount(PublicJwk(SharedTestKeys().rsa.get(), "ok")), 1u);
}

TEST(KeySet, RsaKeyWithEvenOrTrivialExponentIsSkipped) {
    json jwk = PublicJwk(SharedTestKeys().rsa.get(), "");
    jwk["e"] = Base64UrlEncode(std::string("\x01", 1));
    EXPECT_EQ(ParsedCount(jwk), 0u);
    jwk["e"] = Base64UrlEncode(std::string("\x01\x00\x00", 3));
    EXPECT_EQ(ParsedCount(jwk), 0u);
}

TEST(KeySet, EcPointNotOnTheCurveIsSkipped) {
    json jwk = PublicJwk(SharedTestKeys().p256.get(), "bad");
    auto y = *Base64UrlDecode(jwk["y"].get<std::string>());
    y.back() = static_cast<char>(y.back() ^ 0x01);
    jwk["y"] = Base64UrlEncode(y);
    EXPECT_EQ(ParsedCount(jwk), 0u);
}

TEST(KeySet, EcCoordinatesOfTheWrongLengthAreSkipped) {
    json jwk = PublicJwk(SharedTestKeys().p384.get(), "");
    const auto x = *Base64UrlDecode(jwk["x"].get<std::string>());
    jwk["x"] = Base64UrlEncode(std::string(1, '\0') + x);
    EXPECT_EQ(ParsedCount(jwk), 0u);
    jwk["x"] = Base64UrlEncode(x.substr(1));
    EXPECT_EQ(ParsedCount(jwk), 0u);
}

TEST(KeySet, EcKeyLabelledWithAnotherCurveIsSkipped) {
    json jwk = PublicJwk(SharedTestKeys().p256.get(), "");
    jwk["crv"] = "P-384";
    EXPECT_EQ(ParsedCount(jwk), 0u);
    jwk["crv"] = "secp256k1";
    EXPECT_EQ(ParsedCount(jwk), 0u);
}

TEST(KeySet, Ed25519KeyOfTheWrongLengthOrOtherCurveIsSkipped) {
    json jwk = PublicJwk(SharedTestKeys().ed25519.get(), "");
    const auto x = *Base64UrlDecode(jwk["x"].get<std::string>());
    json shorter = jwk;
    shorter["x"] = Base64UrlEncode(x.substr(1));
    EXPECT_EQ(ParsedCount(shorter), 0u);
    json ed448 = jwk;
    ed448["crv"] = "Ed448";
    EXPECT_EQ(ParsedCount(ed448), 0u);
    json x25519 = jwk;
    x25519["crv"] = "X25519";
    EXPECT_EQ(ParsedCount(x25519), 0u);
}

TEST(KeySet, JwkWithPrivatePartIsSkipped) {
    for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
        json jwk = PublicJwk(SharedTestKeys().rsa.get(), "");
        jwk[member] = "AQAB";
        EXPECT_EQ(ParsedCount(jwk), 0u) << member;
    }
    json ec = PublicJwk(SharedTestKeys().p256.get(), "");
    ec["d"] = "AQAB";
    EXPECT_EQ(ParsedCount(ec), 0u);
}

TEST(KeySet, SymmetricAndUnknownKeyTypesAreSkipped) {
    EXPECT_EQ(ParseOk(R"({"keys":[{"kty":"oct","k":"c2VjcmV0"},{"kty":"oct"},)"
                      R"({"kty":"XYZ"},{"kty":1},{"n":"AQAB"}]})")
                  .size(),
              0u);
}

TEST(KeySet, UseOtherThanSigIsSkipped) {
    json jwk = PublicJwk(SharedTestKeys().rsa.get(), "");
    jwk["use"] = "enc";
    EXPECT_EQ(ParsedCount(jwk), 0u);
    jwk["use"] = 1;
    EXPECT_EQ(ParsedCount(jwk), 0u);
    jwk["use"] = "sig";
    EXPECT_EQ(ParsedCount(jwk), 1u);
}

TEST(KeySet, KeyOpsMustIncludeVerify) {
    json jwk = PublicJwk(SharedTestKeys().p256.get(), "");
    jwk["key_ops"] = json::array({"encrypt"});
    EXPECT_EQ(ParsedCount(jwk), 0u);
    jwk["key_ops"] = "verify";
    EXPECT_EQ(ParsedCount(jwk), 0u);
    jwk["key_ops"] = json::array({"sign", "verify"});
    EXPECT_EQ(ParsedCount(jwk), 1u);
}

TEST(KeySet, UnusableAlgIsSkipped) {
    json jwk = PublicJwk(SharedTestKeys().rsa.get(), "");
    for (const char* alg : {"HS256", "none", "RSA-OAEP", "ES256", "rs256"}) {
        jwk["alg"] = alg;
        EXPECT_EQ(ParsedCount(jwk), 0u) << alg;
    }
    jwk["alg"] = "PS256";
    EXPECT_EQ(ParsedCount(jwk), 1u);
    json ec = PublicJwk(SharedTestKeys().p256.get(), "");
    ec["alg"] = "ES384";
    EXPECT_EQ(ParsedCount(ec), 0u);
}

TEST(KeySet, NonStringKidIsSkipped) {
    json jwk = PublicJwk(SharedTestKeys().p256.get(), "");
    jwk["kid"] = 7;
    EXPECT_EQ(ParsedCount(jwk), 0u);
}

TEST(KeySet, BadBase64InKeyMaterialIsSkipped) {
    json jwk = PublicJwk(SharedTestKeys().rsa.get(), "");
    jwk["e"] = "AQAB=";
    EXPECT_EQ(ParsedCount(jwk), 0u);
    jwk["e"] = 65537;
    EXPECT_EQ(ParsedCount(jwk), 0u);
}

TEST(KeySet, UnusableKeysDoNotHideUsableOnes) {
    json bad = PublicJwk(SharedTestKeys().rsa_1024.get(), "small");
    json good = PublicJwk(SharedTestKeys().p256.get(), "good");
    const KeySet set = ParseOk(JwksOf(json::array({bad, R"({"kty":"oct","k":"AA"})"_json, good})));
    ASSERT_EQ(set.size(), 1u);
    EXPECT_EQ(set.keys()[0].kid, "good");
}

TEST(Jwk, KeyTypeAndCurveDecideWhichAlgorithmsFit) {
    const auto& keys = SharedTestKeys();
    const KeySet set = ParseOk(JwksOf(json::array({
        PublicJwk(keys.rsa.get(), "rsa"),
        PublicJwk(keys.p256.get(), "p256"),
        PublicJwk(keys.p384.get(), "p384"),
        PublicJwk(keys.p521.get(), "p521"),
        PublicJwk(keys.ed25519.get(), "ed"),
    })));
    ASSERT_EQ(set.size(), 5u);
    const auto fits = [&](std::size_t index) {
        std::string names;
        for (int i = 0; i < kAlgorithmCount; ++i) {
            const auto algorithm = static_cast<Algorithm>(i);
            if (set.keys()[index].Fits(algorithm)) {
                names += std::string(AlgorithmName(algorithm)) + " ";
            }
        }
        return names;
    };
    EXPECT_EQ(fits(0), "RS256 RS384 RS512 PS256 PS384 PS512 ");
    EXPECT_EQ(fits(1), "ES256 ");
    EXPECT_EQ(fits(2), "ES384 ");
    EXPECT_EQ(fits(3), "ES512 ");
    EXPECT_EQ(fits(4), "EdDSA ");
}

TEST(Jwk, OwnAlgRestrictsTheKeyToThatAlgorithm) {
    json jwk = PublicJwk(SharedTestKeys().rsa.get(), "rsa");
    jwk["alg"] = "PS384";
    const KeySet set = ParseOk(JwksOf(json::array({jwk})));
    ASSERT_EQ(set.size(), 1u);
    EXPECT_TRUE(set.keys()[0].Fits(Algorithm::kPS384));
    EXPECT_FALSE(set.keys()[0].Fits(Algorithm::kRS384));
    EXPECT_FALSE(set.keys()[0].Fits(Algorithm::kPS256));
}

TEST(KeySetFind, FindsByExactKidAmongKeysThatFit) {
    const auto& keys = SharedTestKeys();
    const KeySet set = ParseOk(JwksOf(json::array({
        PublicJwk(keys.rsa.get(), "a"),
        PublicJwk(keys.p256.get(), "b"),
    })));
    ASSERT_NE(set.Find("a", Algorithm::kRS256), nullptr);
    EXPECT_EQ(set.Find("a", Algorithm::kRS256)->kid, "a");
    EXPECT_EQ(set.Find("a", Algorithm::kES256), nullptr);
    EXPECT_EQ(set.Find("A", Algorithm::kRS256), nullptr);
    EXPECT_EQ(set.Find("c", Algorithm::kRS256), nullptr);
    EXPECT_TRUE(set.HasKid("a"));
    EXPECT_TRUE(set.HasKid("b"));
    EXPECT_FALSE(set.HasKid("c"));
}

TEST(KeySetFind, WithoutKidFindsOnlyTheSingleKeyThatFits) {
    const auto& keys = SharedTestKeys();
    const KeySet set = ParseOk(JwksOf(json::array({
        PublicJwk(keys.rsa.get(), "a"),
        PublicJwk(keys.rsa_other.get(), "b"),
        PublicJwk(keys.p256.get(), ""),
    })));
    ASSERT_NE(set.Find("", Algorithm::kES256), nullptr);
    EXPECT_EQ(set.Find("", Algorithm::kES256)->curve, "P-256");
    EXPECT_EQ(set.Find("", Algorithm::kRS256), nullptr);  // two RSA keys: ambiguous
    EXPECT_EQ(set.Find("", Algorithm::kEdDSA), nullptr);  // none fits
}

}  // namespace
}  // namespace stepgate::jose
