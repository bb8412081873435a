// Verified bearer tokens, remembered per event loop (no locks): a token seen before costs a
// hash lookup instead of a signature check. Keyed by the whole token (no hash collision can
// borrow another token's identity); an entry is good only for the config snapshot and key set
// it was verified under, and only until the token's exp (+ leeway). Bounded in entries.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/identity.h"

namespace stepgate::adapters {

class TokenCache {
 public:
    explicit TokenCache(std::size_t capacity) : capacity_(capacity) {}

    // The identity verified for `token` under exactly these snapshot and keys, still valid at
    // `now`; nullptr otherwise.
    const core::Identity* Find(std::string_view token, const void* snapshot, const void* keys,
                               std::int64_t now);

    // `owner_snapshot`/`owner_keys` keep those objects alive while entries point at them, so
    // that a new object at a reused address can never match an old entry. Returns the cached
    // identity (moved from `identity`), or nullptr when the token is not cached (too large, or
    // no capacity): `identity` is then left as it was.
    const core::Identity* Insert(std::string_view token, core::Identity& identity,
                                 std::shared_ptr<const void> owner_snapshot,
                                 std::shared_ptr<const void> owner_keys, std::int64_t valid_until);
    const core::Identity* Insert(std::string_view token, core::Identity&& identity,
                                 std::shared_ptr<const void> owner_snapshot,
                                 std::shared_ptr<const void> owner_keys, std::int64_t valid_until) {
        return Insert(token, identity, std::move(owner_snapshot), std::move(owner_keys),
                      valid_until);
    }

    std::size_t size() const { return entries_.size(); }

 private:
    struct Entry {
        core::Identity identity;
        std::shared_ptr<const void> snapshot;
        std::shared_ptr<const void> keys;
        std::int64_t valid_until = 0;
    };
    // The token with its hash, computed once: a miss hashes the ~1 KB token in Find, and the
    // Insert that follows it reuses that hash (see HashOf).
    struct Key {
        std::string token;
        std::size_t hash = 0;
    };
    struct Probe {
        std::string_view token;
        std::size_t hash = 0;
    };
    struct Hash {
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
    using Map = std::unordered_map<Key, Entry, Hash, Equal>;

    // The hash of `token`: the one Find computed last when it is the same text (compared in
    // full, so a stale hash is never used), otherwise computed now.
    std::size_t HashOf(std::string_view token);

    std::size_t capacity_;
    std::size_t evict_cursor_ = 0;
    std::string last_token_;  // the token Find hashed last, and its hash
    std::size_t last_hash_ = 0;
    Map entries_;
};

inline constexpr std::size_t kTokenCacheEntriesPerLoop = 8192;
inline constexpr std::size_t kTokenCacheMaxTokenBytes =
    4096;  // larger tokens are verified every time

}  // namespace stepgate::adapters
