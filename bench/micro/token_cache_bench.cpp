// The verified-token cache under a flood: every token is new (a Find that misses, then an
// Insert that a full cache refuses at the doorkeeper), against a cache already full of other
// tokens, as on a loop that has been flooded for a while. After 65 536 iterations the tokens come
// round again; by then the doorkeeper has forgotten most of them, and the few it remembers are
// admitted (an eviction each). BM_TokenCacheHit is a token in use.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "adapters/token_cache.h"

namespace stepgate::bench {
namespace {

// Tokens shaped like the flood's: ~1 KB of base64url, random to the end (the signature).
std::vector<std::string> RandomTokens(std::size_t count, std::uint32_t seed) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::mt19937 random(seed);
    std::vector<std::string> tokens(count);
    for (std::string& token : tokens) {
        token.assign(700, 'e');  // the header and claims, alike in every token
        token += '.';
        for (int i = 0; i < 342; ++i) token += kAlphabet[random() % 64];
    }
    return tokens;
}

struct FullCache {
    adapters::TokenCache cache{adapters::kTokenCacheEntriesPerLoop};
    std::shared_ptr<const void> snapshot = std::make_shared<int>(1);
    std::shared_ptr<const void> keys = std::make_shared<int>(2);
    std::vector<std::string> resident = RandomTokens(adapters::kTokenCacheEntriesPerLoop, 1);

    FullCache() {
        for (const std::string& token : resident) {
            core::Identity identity;
            identity.subject = "alice";
            cache.Insert(token, std::move(identity), snapshot, keys, 1'000'000);
        }
    }
};

void BM_TokenCacheFloodMiss(benchmark::State& state) {
    FullCache full;
    const std::vector<std::string> flood = RandomTokens(1 << 16, 2);
    std::size_t next = 0;
    for (auto _ : state) {
        const std::string& token = flood[next++ & (flood.size() - 1)];
        auto lookup = full.cache.Find(token, full.snapshot.get(), full.keys.get(), 10);
        benchmark::DoNotOptimize(lookup);
        core::Identity identity;
        identity.subject = "bob";
        benchmark::DoNotOptimize(
            full.cache.Insert(token, lookup.hash, identity, full.snapshot, full.keys, 1'000'000));
    }
}
BENCHMARK(BM_TokenCacheFloodMiss);

void BM_TokenCacheHit(benchmark::State& state) {
    FullCache full;
    std::size_t next = 0;
    for (auto _ : state) {
        const std::string& token = full.resident[(next++ * 7919) % full.resident.size()];
        benchmark::DoNotOptimize(full.cache.Find(token, full.snapshot.get(), full.keys.get(), 10));
    }
}
BENCHMARK(BM_TokenCacheHit);

}  // namespace
}  // namespace stepgate::bench
