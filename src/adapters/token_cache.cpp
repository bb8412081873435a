#include "adapters/token_cache.h"

#include <functional>
#include <utility>

namespace stepgate::adapters {

std::size_t TokenCache::HashOf(std::string_view token) {
    if (token == last_token_) return last_hash_;
    return std::hash<std::string_view>{}(token);
}

const core::Identity* TokenCache::Find(std::string_view token, const void* snapshot,
                                       const void* keys, std::int64_t now) {
    const std::size_t hash = std::hash<std::string_view>{}(token);
    auto it = entries_.find(Probe{token, hash});
    if (it == entries_.end()) {
        // A miss is usually followed by Insert of the same token: keep its hash for it.
        if (token.size() <= kTokenCacheMaxTokenBytes) {
            last_token_.assign(token);
            last_hash_ = hash;
        }
        return nullptr;
    }
    const Entry& entry = it->second;
    if (entry.snapshot.get() != snapshot || entry.keys.get() != keys || now > entry.valid_until) {
        entries_.erase(it);
        return nullptr;
    }
    return &entry.identity;
}

const core::Identity* TokenCache::Insert(std::string_view token, core::Identity& identity,
                                         std::shared_ptr<const void> owner_snapshot,
                                         std::shared_ptr<const void> owner_keys,
                                         std::int64_t valid_until) {
    if (capacity_ == 0 || token.size() > kTokenCacheMaxTokenBytes) return nullptr;
    const std::size_t hash = HashOf(token);
    Entry entry{std::move(identity), std::move(owner_snapshot), std::move(owner_keys), valid_until};
    if (auto it = entries_.find(Probe{token, hash}); it != entries_.end()) {
        it->second = std::move(entry);
        return &it->second.identity;
    }
    if (entries_.size() >= capacity_) {
        // Make room with an entry from the next non-empty bucket after a moving cursor: by
        // hash, so close to random. (begin() is the newest entry in libstdc++, which would let
        // a flood of dead tokens push out every live one.) The evicted node, and its token's
        // buffer, are reused for the new entry: no new node on a full cache.
        const std::size_t buckets = entries_.bucket_count();
        for (std::size_t tried = 0; tried < buckets; ++tried) {
            const std::size_t bucket = evict_cursor_++ % buckets;
            if (entries_.bucket_size(bucket) == 0) continue;
            auto node = entries_.extract(entries_.begin(bucket)->first);
            // Reuse the buffer only when it fits: assign() would otherwise grow it to twice
            // its capacity, and a full cache would then hold tokens at twice their size.
            if (node.key().token.capacity() >= token.size()) {
                node.key().token.assign(token);
            } else {
                node.key().token = std::string(token);
            }
            node.key().hash = hash;
            node.mapped() = std::move(entry);
            return &entries_.insert(std::move(node)).position->second.identity;
        }
    }
    return &entries_.emplace(Key{std::string(token), hash}, std::move(entry))
                .first->second.identity;
}

}  // namespace stepgate::adapters
