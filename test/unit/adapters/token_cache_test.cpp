#include "adapters/token_cache.h"

#include <gtest/gtest.h>

namespace stepgate::adapters {
namespace {

core::Identity Alice() {
    core::Identity identity;
    identity.subject = "alice";
    return identity;
}

TEST(TokenCache, HitsOnlyForTheSameTokenSnapshotAndKeysUntilExpiry) {
    TokenCache cache(4);
    auto snapshot = std::make_shared<int>(1);
    auto keys = std::make_shared<int>(2);
    cache.Insert("tok", Alice(), snapshot, keys, 100);
    ASSERT_NE(cache.Find("tok", snapshot.get(), keys.get(), 100), nullptr);
    EXPECT_EQ(cache.Find("tok", snapshot.get(), keys.get(), 100)->subject, "alice");
    EXPECT_EQ(cache.Find("tok2", snapshot.get(), keys.get(), 50), nullptr);
    auto rotated = std::make_shared<int>(3);
    EXPECT_EQ(cache.Find("tok", snapshot.get(), rotated.get(), 50), nullptr);  // and evicted
    EXPECT_EQ(cache.Find("tok", snapshot.get(), keys.get(), 50), nullptr);
    cache.Insert("tok", Alice(), snapshot, keys, 100);
    EXPECT_EQ(cache.Find("tok", snapshot.get(), keys.get(), 101), nullptr);
}

TEST(TokenCache, AFloodOfDeadTokensDoesNotPushOutEveryNewOne) {
    TokenCache cache(64);
    auto owner = std::make_shared<int>(0);
    for (int i = 0; i < 1000; ++i)
        cache.Insert("flood" + std::to_string(i), Alice(), owner, owner, 100);
    int kept = 0;
    for (int i = 0; i < 32; ++i) {
        const std::string token = "live" + std::to_string(i);
        cache.Insert(token, Alice(), owner, owner, 100);
        cache.Insert("flood-more" + std::to_string(i), Alice(), owner, owner, 100);
        if (cache.Find(token, owner.get(), owner.get(), 50) != nullptr) ++kept;
    }
    EXPECT_GT(kept, 16);  // with begin() eviction it was 0
}

TEST(TokenCache, StaysWithinCapacity) {
    TokenCache cache(3);
    auto owner = std::make_shared<int>(0);
    for (int i = 0; i < 100; ++i) cache.Insert("t" + std::to_string(i), Alice(), owner, owner, 100);
    EXPECT_EQ(cache.size(), 3u);
    cache.Insert(std::string(kTokenCacheMaxTokenBytes + 1, 'x'), Alice(), owner, owner, 100);
    EXPECT_EQ(cache.size(), 3u);
}

TEST(TokenCache, InsertReturnsTheCachedIdentityOrLeavesTheCallersAlone) {
    TokenCache cache(2);
    auto owner = std::make_shared<int>(0);
    core::Identity identity = Alice();
    const core::Identity* cached = cache.Insert("tok", identity, owner, owner, 100);
    ASSERT_NE(cached, nullptr);
    EXPECT_EQ(cached, cache.Find("tok", owner.get(), owner.get(), 50));
    EXPECT_EQ(cached->subject, "alice");
    // Not cached: too large, or no capacity. The caller's identity is still whole.
    core::Identity large = Alice();
    EXPECT_EQ(
        cache.Insert(std::string(kTokenCacheMaxTokenBytes + 1, 'x'), large, owner, owner, 100),
        nullptr);
    EXPECT_EQ(large.subject, "alice");
    TokenCache none(0);
    core::Identity kept = Alice();
    EXPECT_EQ(none.Insert("tok", kept, owner, owner, 100), nullptr);
    EXPECT_EQ(kept.subject, "alice");
    // A full cache reuses an evicted entry: the pointer returned is the new entry's.
    cache.Insert("a", Alice(), owner, owner, 100);
    core::Identity bob = Alice();
    bob.subject = "bob";
    const core::Identity* reused = cache.Insert("b", bob, owner, owner, 100);
    ASSERT_NE(reused, nullptr);
    EXPECT_EQ(reused->subject, "bob");
    EXPECT_EQ(reused, cache.Find("b", owner.get(), owner.get(), 50));
}

}  // namespace
}  // namespace stepgate::adapters
