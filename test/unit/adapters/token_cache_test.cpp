#include "adapters/token_cache.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

namespace stepgate::adapters {
namespace {

core::Identity Alice() {
    core::Identity identity;
    identity.subject = "alice";
    return identity;
}

const core::Identity* Found(TokenCache& cache, std::string_view token, const void* snapshot,
                            const void* keys, std::int64_t now) {
    return cache.Find(token, snapshot, keys, now).identity;
}

TEST(TokenCache, HitsOnlyForTheSameTokenSnapshotAndKeysUntilExpiry) {
    TokenCache cache(4);
    auto snapshot = std::make_shared<int>(1);
    auto keys = std::make_shared<int>(2);
    cache.Insert("tok", Alice(), snapshot, keys, 100);
    ASSERT_NE(Found(cache, "tok", snapshot.get(), keys.get(), 100), nullptr);
    EXPECT_EQ(Found(cache, "tok", snapshot.get(), keys.get(), 100)->subject, "alice");
    EXPECT_EQ(Found(cache, "tok2", snapshot.get(), keys.get(), 50), nullptr);
    auto rotated = std::make_shared<int>(3);
    EXPECT_EQ(Found(cache, "tok", snapshot.get(), rotated.get(), 50), nullptr);  // and evicted
    EXPECT_EQ(Found(cache, "tok", snapshot.get(), keys.get(), 50), nullptr);
    cache.Insert("tok", Alice(), snapshot, keys, 100);
    EXPECT_EQ(Found(cache, "tok", snapshot.get(), keys.get(), 101), nullptr);
}

TEST(TokenCache, FindGivesTheHashInsertTakes) {
    TokenCache cache(4);
    auto owner = std::make_shared<int>(0);
    const TokenCache::Lookup miss = cache.Find("tok", owner.get(), owner.get(), 50);
    EXPECT_EQ(miss.identity, nullptr);
    EXPECT_EQ(miss.hash, TokenCache::Hash("tok"));
    core::Identity identity = Alice();
    cache.Insert("tok", miss.hash, identity, owner, owner, 100);
    EXPECT_NE(Found(cache, "tok", owner.get(), owner.get(), 50), nullptr);
}

// The handler's way: Prefetch hashes the token once, and Find and Insert take that hash.
TEST(TokenCache, PrefetchGivesTheHashFindTakes) {
    TokenCache cache(4);
    auto owner = std::make_shared<int>(0);
    const std::size_t hash = cache.Prefetch("tok");
    EXPECT_EQ(hash, TokenCache::Hash("tok"));
    const TokenCache::Lookup miss = cache.Find("tok", hash, owner.get(), owner.get(), 50);
    EXPECT_EQ(miss.identity, nullptr);
    EXPECT_EQ(miss.hash, hash);
    core::Identity identity = Alice();
    cache.Insert("tok", miss.hash, identity, owner, owner, 100);
    const TokenCache::Lookup hit =
        cache.Find("tok", cache.Prefetch("tok"), owner.get(), owner.get(), 50);
    ASSERT_NE(hit.identity, nullptr);
    EXPECT_EQ(hit.identity->subject, "alice");
    EXPECT_EQ(cache.Find("tok2", cache.Prefetch("tok2"), owner.get(), owner.get(), 50).identity,
              nullptr);
}

// The table hashes only a token's length and tail (its signature): tokens that share both
// still never answer for each other, since equality is the whole token.
TEST(TokenCache, TokensSharingTheirTailStayApart) {
    TokenCache cache(16);
    auto owner = std::make_shared<int>(0);
    const std::string tail(100, 's');
    const std::string first = "header-one." + tail;
    const std::string second = "header-two." + tail;
    ASSERT_EQ(first.size(), second.size());
    EXPECT_EQ(TokenCache::Hash(first), TokenCache::Hash(second));
    core::Identity alice = Alice();
    core::Identity bob;
    bob.subject = "bob";
    cache.Insert(first, std::move(alice), owner, owner, 100);
    EXPECT_EQ(Found(cache, second, owner.get(), owner.get(), 50), nullptr);
    cache.Insert(second, std::move(bob), owner, owner, 100);
    ASSERT_NE(Found(cache, first, owner.get(), owner.get(), 50), nullptr);
    ASSERT_NE(Found(cache, second, owner.get(), owner.get(), 50), nullptr);
    EXPECT_EQ(Found(cache, first, owner.get(), owner.get(), 50)->subject, "alice");
    EXPECT_EQ(Found(cache, second, owner.get(), owner.get(), 50)->subject, "bob");
    EXPECT_EQ(Found(cache, "header-six." + tail, owner.get(), owner.get(), 50), nullptr);
    // A different length with the same tail is a different hash (most likely) and no match.
    EXPECT_EQ(Found(cache, "h." + tail, owner.get(), owner.get(), 50), nullptr);
}

TEST(TokenCache, ANewSnapshotOrKeySetDropsEveryOlderEntry) {
    TokenCache cache(8);
    auto snapshot = std::make_shared<int>(1);
    auto keys = std::make_shared<int>(2);
    for (int i = 0; i < 8; ++i) cache.Insert("t" + std::to_string(i), Alice(), snapshot, keys, 100);
    EXPECT_EQ(cache.size(), 8u);
    auto reloaded = std::make_shared<int>(3);
    // Not admitted-on-second-sight: the old entries are gone, so the cache is not full.
    ASSERT_NE(cache.Insert("new", Alice(), reloaded, keys, 100), nullptr);
    EXPECT_EQ(cache.size(), 1u);
    auto rotated = std::make_shared<int>(4);
    ASSERT_NE(cache.Insert("newer", Alice(), reloaded, rotated, 100), nullptr);
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_EQ(Found(cache, "new", reloaded.get(), keys.get(), 50), nullptr);
}

TEST(TokenCache, AFullCacheAdmitsATokenOnItsSecondVerification) {
    TokenCache cache(4);
    auto owner = std::make_shared<int>(0);
    for (int i = 0; i < 4; ++i) cache.Insert("t" + std::to_string(i), Alice(), owner, owner, 100);
    core::Identity first = Alice();
    EXPECT_EQ(cache.Insert("live", TokenCache::Hash("live"), first, owner, owner, 100), nullptr);
    EXPECT_EQ(first.subject, "alice");  // not taken
    EXPECT_EQ(Found(cache, "live", owner.get(), owner.get(), 50), nullptr);
    const core::Identity* second = cache.Insert("live", Alice(), owner, owner, 100);
    ASSERT_NE(second, nullptr);
    EXPECT_EQ(second, Found(cache, "live", owner.get(), owner.get(), 50));
    EXPECT_EQ(cache.size(), 4u);
}

TEST(TokenCache, AFloodOfTokensSeenOnceDoesNotPushOutTheTokensInUse) {
    TokenCache cache(64);
    auto owner = std::make_shared<int>(0);
    for (int i = 0; i < 32; ++i)
        cache.Insert("live" + std::to_string(i), Alice(), owner, owner, 100);
    for (int i = 0; i < 10000; ++i)
        cache.Insert("flood" + std::to_string(i), Alice(), owner, owner, 100);
    int kept = 0;
    for (int i = 0; i < 32; ++i) {
        if (Found(cache, "live" + std::to_string(i), owner.get(), owner.get(), 50) != nullptr)
            ++kept;
    }
    // Only a doorkeeper fingerprint collision (two flood tokens sharing a slot and the same 32
    // bits) can admit a flood token; each displaces one entry of 64.
    EXPECT_GE(kept, 30);
    // Tokens in use keep getting in: one that comes back is admitted.
    for (int round = 0; round < 2; ++round) cache.Insert("returning", Alice(), owner, owner, 100);
    EXPECT_NE(Found(cache, "returning", owner.get(), owner.get(), 50), nullptr);
}

TEST(TokenCache, StaysWithinCapacity) {
    TokenCache cache(3);
    auto owner = std::make_shared<int>(0);
    for (int i = 0; i < 100; ++i) {
        for (int twice = 0; twice < 2; ++twice)
            cache.Insert("t" + std::to_string(i), Alice(), owner, owner, 100);
    }
    EXPECT_EQ(cache.size(), 3u);
    cache.Insert(std::string(kTokenCacheMaxTokenBytes + 1, 'x'), Alice(), owner, owner, 100);
    EXPECT_EQ(cache.size(), 3u);
}

TEST(TokenCache, InsertReturnsTheCachedIdentityOrLeavesTheCallersAlone) {
    TokenCache cache(2);
    auto owner = std::make_shared<int>(0);
    core::Identity identity = Alice();
    const core::Identity* cached =
        cache.Insert("tok", TokenCache::Hash("tok"), identity, owner, owner, 100);
    ASSERT_NE(cached, nullptr);
    EXPECT_EQ(cached, Found(cache, "tok", owner.get(), owner.get(), 50));
    EXPECT_EQ(cached->subject, "alice");
    // Not cached: too large, or no capacity. The caller's identity is still whole.
    const std::string large_token(kTokenCacheMaxTokenBytes + 1, 'x');
    core::Identity large = Alice();
    EXPECT_EQ(cache.Insert(large_token, TokenCache::Hash(large_token), large, owner, owner, 100),
              nullptr);
    EXPECT_EQ(large.subject, "alice");
    TokenCache none(0);
    core::Identity kept = Alice();
    EXPECT_EQ(none.Insert("tok", TokenCache::Hash("tok"), kept, owner, owner, 100), nullptr);
    EXPECT_EQ(kept.subject, "alice");
    // A full cache reuses an evicted entry: the pointer returned is the new entry's.
    cache.Insert("a", Alice(), owner, owner, 100);
    core::Identity bob = Alice();
    bob.subject = "bob";
    cache.Insert("b", TokenCache::Hash("b"), bob, owner, owner, 100);  // first sight: refused
    const core::Identity* reused = cache.Insert("b", TokenCache::Hash("b"), bob, owner, owner, 100);
    ASSERT_NE(reused, nullptr);
    EXPECT_EQ(reused->subject, "bob");
    EXPECT_EQ(reused, Found(cache, "b", owner.get(), owner.get(), 50));
}

// The presence filter in front of the hash table must never turn a cached token into a miss:
// random inserts (evicting), expiries and lookups, checked against what the cache says it holds.
TEST(TokenCache, EveryTokenInTheCacheIsFoundThroughThePresenceFilter) {
    TokenCache cache(16);
    auto owner = std::make_shared<int>(0);
    std::mt19937 random(7);
    std::map<std::string, std::int64_t> inserted;  // token -> valid_until, maybe since evicted
    for (int step = 0; step < 20000; ++step) {
        const std::string token = "t" + std::to_string(random() % 64);
        const std::int64_t now = step / 100;
        if (random() % 2 == 0) {
            const std::int64_t valid_until = now + static_cast<std::int64_t>(random() % 20);
            if (cache.Insert(token, Alice(), owner, owner, valid_until) != nullptr) {
                inserted[token] = valid_until;
                // Just cached (maybe into an evicted entry's node): found at once.
                ASSERT_NE(Found(cache, token, owner.get(), owner.get(), now), nullptr) << step;
            }
        } else {
            const bool found = Found(cache, token, owner.get(), owner.get(), now) != nullptr;
            // Found only if inserted and not expired; evicted ones may be missing.
            const auto it = inserted.find(token);
            if (found) {
                ASSERT_NE(it, inserted.end());
                EXPECT_LE(now, it->second);
            }
            if (!found) inserted.erase(token);
        }
        ASSERT_LE(cache.size(), 16u);
    }
    // Whatever is in the table is found: fill a fresh cache below capacity and look up all.
    TokenCache small(64);
    for (int i = 0; i < 64; ++i) small.Insert("k" + std::to_string(i), Alice(), owner, owner, 100);
    for (int i = 0; i < 64; ++i)
        EXPECT_NE(Found(small, "k" + std::to_string(i), owner.get(), owner.get(), 50), nullptr)
            << i;
    for (int i = 0; i < 64; i += 2)  // expire half (erased on lookup), the rest still found
        EXPECT_EQ(Found(small, "k" + std::to_string(i), owner.get(), owner.get(), 101), nullptr);
    for (int i = 1; i < 64; i += 2)
        EXPECT_NE(Found(small, "k" + std::to_string(i), owner.get(), owner.get(), 50), nullptr)
            << i;
}

// After evictions through the full cache's admission path, every entry the table holds is
// still reachable: the tokens Find answers for, among all ever inserted, are exactly as many as
// the table holds (a counter of the presence filter decremented once too often would hide one).
TEST(TokenCache, EvictionsLeaveEveryHeldEntryReachable) {
    for (const std::size_t capacity : {3u, 16u, 100u}) {
        TokenCache cache(capacity);
        auto owner = std::make_shared<int>(0);
        std::mt19937 random(static_cast<unsigned>(capacity));
        const int universe = static_cast<int>(capacity) * 8;
        for (int step = 0; step < 50000; ++step) {
            const std::string token = "token-" + std::to_string(random() % universe);
            // Twice: a full cache admits a token on its second verification.
            cache.Insert(token, Alice(), owner, owner, 1000);
            cache.Insert(token, Alice(), owner, owner, 1000);
        }
        ASSERT_EQ(cache.size(), capacity);
        std::size_t reachable = 0;
        for (int i = 0; i < universe; ++i) {
            if (Found(cache, "token-" + std::to_string(i), owner.get(), owner.get(), 0) != nullptr)
                ++reachable;
        }
        EXPECT_EQ(reachable, cache.size()) << "capacity " << capacity;
    }
}

}  // namespace
}  // namespace stepgate::adapters
