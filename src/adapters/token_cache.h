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
    // that a new object at a reused address can never match an old entry.
    void Insert(std::string_view token, core::Identity identity,
                std::shared_ptr<const void> owner_snapshot, std::shared_ptr<const void> owner_keys,
                std::int64_t valid_until);

    std::size_t size() const { return entries_.size(); }

 private:
    struct Entry {
        core::Identity identity;
        std::shared_ptr<const void> snapshot;
        std::shared_ptr<const void> keys;
        std::int64_t valid_until = 0;
    };
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const {
            return std::hash<std::string_view>{}(text);
        }
    };
    std::size_t capacity_;
    std::size_t evict_cursor_ = 0;
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
};

inline constexpr std::size_t kTokenCacheEntriesPerLoop = 8192;
inline constexpr std::size_t kTokenCacheMaxTokenBytes =
    4096;  // larger tokens are verified every time

}  // namespace stepgate::adapters
