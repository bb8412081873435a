// Verified bearer tokens, remembered per event loop (no locks): a token seen before costs a
// hash lookup instead of a signature check. Keyed by the whole token (no hash collision can
// borrow another token's identity); an entry is good only for the config snapshot and key set
// it was verified under, and only until the token's exp (+ leeway). Bounded in entries.
//
// Admission when full: a flood of distinct valid tokens (each seen once) must neither evict the
// tokens in use nor cost a cache write each. So once the cache is full, a token is admitted only
// on its second verification within a while: a "doorkeeper" table remembers a fingerprint of
// each token refused admission (TinyLFU's doorkeeper, one slot per hash). A token in real use is
// verified twice instead of once; a token seen once never displaces anything.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/identity.h"

namespace stepgate::adapters {

class TokenCache {
 public:
    explicit TokenCache(std::size_t capacity);

    // A lookup's result: the identity verified for the token under exactly these snapshot and
    // keys, still valid at `now` (nullptr on a miss), and the token's hash for the Insert that
    // may follow a miss.
    struct Lookup {
        const core::Identity* identity = nullptr;
        std::size_t hash = 0;
    };
    // `hash` is Hash(token), from Prefetch.
    Lookup Find(std::string_view token, std::size_t hash, const void* snapshot, const void* keys,
                std::int64_t now);
    // The same, hashing the token here (tests, tools).
    Lookup Find(std::string_view token, const void* snapshot, const void* keys, std::int64_t now) {
        return Find(token, Hash(token), snapshot, keys, now);
    }

    // Starts loading the presence counters Find will read for this token, and returns the
    // token's hash for Find. Called as soon as the token is known, so that the misses (one per
    // counter: the filter is spread over 256 KB) are paid during the route matching that comes
    // before Find, not in it.
    std::size_t Prefetch(std::string_view token) const {
        const std::size_t hash = Hash(token);
        for (int probe = 0; probe < kPresenceProbes; ++probe) {
            __builtin_prefetch(&present_[PresenceIndex(hash, probe)]);
        }
        return hash;
    }

    // `owner_snapshot`/`owner_keys` keep those objects alive while entries point at them, so
    // that a new object at a reused address can never match an old entry; entries of any other
    // snapshot or key set are dropped first (they can never match again). `hash` is
    // Lookup::hash of this token. Returns the cached identity (moved from `identity`), or
    // nullptr when the token is not cached (too large, no capacity, or not admitted): `identity`
    // is then left as it was.
    const core::Identity* Insert(std::string_view token, std::size_t hash, core::Identity& identity,
                                 std::shared_ptr<const void> owner_snapshot,
                                 std::shared_ptr<const void> owner_keys, std::int64_t valid_until);
    // The same, hashing the token here (tests, tools).
    const core::Identity* Insert(std::string_view token, core::Identity&& identity,
                                 std::shared_ptr<const void> owner_snapshot,
                                 std::shared_ptr<const void> owner_keys, std::int64_t valid_until) {
        return Insert(token, Hash(token), identity, std::move(owner_snapshot),
                      std::move(owner_keys), valid_until);
    }

    std::size_t size() const { return entries_.size(); }
    static std::size_t Hash(std::string_view token);

 private:
    struct Entry {
        core::Identity identity;
        std::shared_ptr<const void> snapshot;
        std::shared_ptr<const void> keys;
        std::int64_t valid_until = 0;
    };
    // The token with its hash, computed once per request.
    struct Key {
        std::string token;
        std::size_t hash = 0;
    };
    struct Probe {
        std::string_view token;
        std::size_t hash = 0;
    };
    struct Hasher {
        using is_transparent = void;
        std::size_t operator()(const Key& key) const { return key.hash; }
        std::size_t operator()(const Probe& probe) const { return probe.hash; }
    };
    struct Equal {
        using is_transparent = void;
        bool operator()(const Key& a, const Key& b) const { return a.token == b.token; }
        bool operator()(const Probe& a, const Key& b) const { return a.token == b.token; }
        bool operator()(const Key& a, const Probe& b) const { return a.token == b.token; }
    };
    using Map = std::unordered_map<Key, Entry, Hasher, Equal>;

    // The presence filter, a counting Bloom filter: how many entries have a hash that falls on
    // each counter, kPresenceProbes counters per hash. A miss on which any counter is zero
    // skips the hash table's bucket walk, which costs several dependent cache misses on a large
    // cache (a node lies far from its bucket, its cached hash far from its link) and, in the
    // end-to-end flood, far more than that: a flood of new tokens is all misses. With 32
    // counters per entry and 3 probes, about 0.07 % of misses on a full cache still walk (one
    // probe of 8 counters per entry: 12 %). A counter stuck at its maximum stays there (it
    // then only costs the walk).
    static constexpr int kPresenceProbes = 3;
    static constexpr std::size_t kCountersPerEntry = 32;
    // Double hashing (Kirsch and Mitzenmacher): probe i at first + i * step. The table's size is
    // a power of two, so a mask replaces a division per probe, and an odd step never lands two
    // probes of one hash on the same counter.
    std::size_t PresenceIndex(std::size_t hash, int probe) const {
        const std::size_t first = hash >> 16;
        const std::size_t step = (hash >> 40) | 1;
        return (first + static_cast<std::size_t>(probe) * step) & (present_.size() - 1);
    }
    bool MayBePresent(std::size_t hash) const {
        for (int probe = 0; probe < kPresenceProbes; ++probe) {
            if (present_[PresenceIndex(hash, probe)] == 0) return false;
        }
        return true;
    }
    void Added(std::size_t hash);
    void Removed(std::size_t hash);

    // True when a full cache should take this token: its fingerprint was left in the
    // doorkeeper by an earlier refusal. Otherwise leaves it there and answers false.
    bool Admit(std::size_t hash);
    // The token's doorkeeper slot, from the hash's low bits. Only when capacity_ != 0.
    std::uint32_t& DoorkeeperSlot(std::size_t hash) {
        return doorkeeper_[hash % doorkeeper_.size()];
    }

    std::size_t capacity_;
    std::size_t evict_cursor_ = 0;
    const void* snapshot_ = nullptr;  // of every entry
    const void* keys_ = nullptr;
    std::vector<std::uint32_t> doorkeeper_;  // fingerprints, 0 = empty; 2 slots per entry
    std::vector<std::uint8_t> present_;      // kCountersPerEntry per entry, up to a power of two
    Map entries_;
};

inline constexpr std::size_t kTokenCacheEntriesPerLoop = 8192;
inline constexpr std::size_t kTokenCacheMaxTokenBytes =
    4096;  // larger tokens are verified every time

}  // namespace stepgate::adapters
