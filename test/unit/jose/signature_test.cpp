// VerifyJwsSignature keeps prepared OpenSSL contexts per thread, per key and algorithm. These
// tests check that a context reused across calls never changes an answer.
#include "jose/signature.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "unit/jose/token_factory.h"

namespace stepgate::jose {
namespace {

using detail::VerifyJwsSignature;
using testing::SharedTestKeys;
using testing::SignRaw;

TEST(PreparedSignature, RepeatedChecksWithOneKeyKeepTheirAnswers) {
    EVP_PKEY* key = SharedTestKeys().rsa.get();
    for (Algorithm algorithm : {Algorithm::kRS256, Algorithm::kPS256, Algorithm::kRS512}) {
        const std::string good = SignRaw(algorithm, key, "a.b");
        std::string bad = good;
        bad[10] = static_cast<char>(bad[10] ^ 1);
        for (int i = 0; i < 3; ++i) {
            EXPECT_TRUE(VerifyJwsSignature(algorithm, key, "a.b", good));
            EXPECT_FALSE(VerifyJwsSignature(algorithm, key, "a.b", bad));
            EXPECT_FALSE(VerifyJwsSignature(algorithm, key, "a.c", good));
            EXPECT_FALSE(VerifyJwsSignature(algorithm, key, "a.b", good.substr(1)));
        }
        EXPECT_TRUE(VerifyJwsSignature(algorithm, key, "a.b", good));
    }
    // The same key under another algorithm is another context: RS256 bytes are no PS256.
    const std::string rs256 = SignRaw(Algorithm::kRS256, key, "a.b");
    EXPECT_FALSE(VerifyJwsSignature(Algorithm::kPS256, key, "a.b", rs256));
    EXPECT_FALSE(VerifyJwsSignature(Algorithm::kRS384, key, "a.b", rs256));
    EXPECT_TRUE(VerifyJwsSignature(Algorithm::kRS256, key, "a.b", rs256));
}

TEST(PreparedSignature, AnotherKeysSignatureFailsOnceBothAreCached) {
    EVP_PKEY* key = SharedTestKeys().rsa.get();
    EVP_PKEY* other = SharedTestKeys().rsa_other.get();
    const std::string by_key = SignRaw(Algorithm::kRS256, key, "x.y");
    const std::string by_other = SignRaw(Algorithm::kRS256, other, "x.y");
    for (int i = 0; i < 2; ++i) {
        EXPECT_TRUE(VerifyJwsSignature(Algorithm::kRS256, key, "x.y", by_key));
        EXPECT_TRUE(VerifyJwsSignature(Algorithm::kRS256, other, "x.y", by_other));
        EXPECT_FALSE(VerifyJwsSignature(Algorithm::kRS256, key, "x.y", by_other));
        EXPECT_FALSE(VerifyJwsSignature(Algorithm::kRS256, other, "x.y", by_key));
    }
    // Keys that do not fit the algorithm stay refused, cached or not.
    EXPECT_FALSE(VerifyJwsSignature(Algorithm::kES256, key, "x.y", std::string(64, 'a')));
    EXPECT_FALSE(VerifyJwsSignature(Algorithm::kRS256, SharedTestKeys().p256.get(), "x.y", by_key));
    const std::string es256 = SignRaw(Algorithm::kES256, SharedTestKeys().p256.get(), "x.y");
    EXPECT_TRUE(VerifyJwsSignature(Algorithm::kES256, SharedTestKeys().p256.get(), "x.y", es256));
    EXPECT_FALSE(VerifyJwsSignature(Algorithm::kES384, SharedTestKeys().p384.get(), "x.y", es256));
}

TEST(PreparedSignature, MoreKeysThanContextsAndFreedKeysStillVerifyCorrectly) {
    // More keys than a thread keeps contexts for, each freed after use: a key allocated later
    // (perhaps at a freed key's address) must be checked with its own material.
    std::vector<std::string> signatures;
    std::vector<EvpPkeyPtr> keys;
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 40; ++i) {
            EvpPkeyPtr key = testing::GenerateEcKey("P-256");
            const std::string signature = SignRaw(Algorithm::kES256, key.get(), "k.v");
            ASSERT_TRUE(VerifyJwsSignature(Algorithm::kES256, key.get(), "k.v", signature));
            for (const std::string& earlier : signatures) {
                ASSERT_FALSE(VerifyJwsSignature(Algorithm::kES256, key.get(), "k.v", earlier));
            }
            if (signatures.size() < 8) signatures.push_back(signature);
            if (i % 2 == 0) keys.push_back(std::move(key));  // some stay alive, some are freed
        }
    }
    for (const EvpPkeyPtr& key : keys) {
        EXPECT_TRUE(VerifyJwsSignature(Algorithm::kES256, key.get(), "k.v",
                                       SignRaw(Algorithm::kES256, key.get(), "k.v")));
    }
}

TEST(PreparedSignature, ThreadsVerifyWithTheSameKeyAtOnce) {
    EVP_PKEY* key = SharedTestKeys().rsa.get();
    const std::string good = SignRaw(Algorithm::kRS256, key, "t.u");
    std::string bad = good;
    bad[5] = static_cast<char>(bad[5] ^ 1);
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                if (!VerifyJwsSignature(Algorithm::kRS256, key, "t.u", good)) ++wrong;
                if (VerifyJwsSignature(Algorithm::kRS256, key, "t.u", bad)) ++wrong;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace stepgate::jose
