#include "adapters/token_cache.h"

namespace stepgate::adapters {

const core::Identity* TokenCache::Find(std::string_view token, const void* snapshot,
                                       const void* keys, std::int64_t now) {
    auto it = entries_.find(token);
    if (it == entries_.end()) return nullptr;
    const Entry& entry = it->second;
    if (entry.snapshot.get() != snapshot || entry.keys.get() != keys || now > entry.valid_until) {
        entries_.erase(it);
        return nullptr;
    }
    return &entry.identity;
}

void TokenCache::Insert(std::string_view token, core::Identity identity,
                        std::shared_ptr<const void> owner_snapshot,
                        std::shared_ptr<const void> owner_keys, std::int64_t valid_until) {
    if (capacity_ == 0 || token.size() > kTokenCacheMaxTokenBytes) return;
    if (entries_.size() >= capacity_) {
        // Make room with an entry from the next non-empty bucket after a moving cursor: by
        // hash, so close to random. (begin() is the newest entry in libstdc++, which would let
        // a flood of dead tokens push out every live one.)
        const std::size_t buckets = entries_.bucket_count();
        for (std::size_t tried = 0; tried < buckets; ++tried) {
            const std::size_t bucket = evict_cursor_++ % buckets;
            if (entries_.bucket_size(bucket) == 0) continue;
            entries_.erase(entries_.begin(bucket)->first);
            break;
        }
    }
    entries_.insert_or_assign(
        std::string(token),
        Entry{std::move(identity), std::move(owner_snapshot), std::move(owner_keys), valid_until});
}

}  // namespace stepgate::adapters
