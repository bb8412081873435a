#include "adapters/token_cache.h"

#include <algorithm>
#include <bit>
#include <functional>
#include <utility>

#include "common/tail_hash.h"

namespace stepgate::adapters {

TokenCache::TokenCache(std::size_t capacity)
    : capacity_(capacity),
      doorkeeper_(capacity == 0 ? 0 : 2 * capacity, 0),
      present_(std::bit_ceil(capacity == 0 ? std::size_t{1} : kCountersPerEntry * capacity), 0) {}

void TokenCache::Added(std::size_t hash) {
    for (int probe = 0; probe < kPresenceProbes; ++probe) {
        std::uint8_t& counter = present_[PresenceIndex(hash, probe)];
        if (counter != UINT8_MAX) ++counter;
    }
}

void TokenCache::Removed(std::size_t hash) {
    for (int probe = 0; probe < kPresenceProbes; ++probe) {
        std::uint8_t& counter = present_[PresenceIndex(hash, probe)];
        if (counter != UINT8_MAX) --counter;
    }
}

std::size_t TokenCache::Hash(std::string_view token) { return TailHash(token); }

TokenCache::Lookup TokenCache::Find(std::string_view token, std::size_t hash, const void* snapshot,
                                    const void* keys, std::int64_t now) {
    // On a miss of a full cache, Insert will read and write the token's doorkeeper slot after
    // the signature check: start loading it now, so that the check hides the miss.
    const auto miss = [&] {
        if (capacity_ != 0 && entries_.size() >= capacity_) {
            __builtin_prefetch(&DoorkeeperSlot(hash), 1);
        }
        return Lookup{nullptr, hash};
    };
    if (!MayBePresent(hash)) return miss();
    auto it = entries_.find(Probe{token, hash});
    if (it == entries_.end()) return miss();
    const Entry& entry = it->second;
    if (entry.snapshot.get() != snapshot || entry.keys.get() != keys || now > entry.valid_until) {
        entries_.erase(it);
        Removed(hash);
        return {nullptr, hash};
    }
    return {&entry.identity, hash};
}

bool TokenCache::Admit(std::size_t hash) {
    // The slot from the low bits, the fingerprint from the high ones (never 0: 0 is empty).
    std::uint32_t& slot = DoorkeeperSlot(hash);
    const std::uint32_t fingerprint = static_cast<std::uint32_t>(hash >> 32) | 1u;
    if (slot == fingerprint) {
        slot = 0;
        return true;
    }
    slot = fingerprint;
    return false;
}

const core::Identity* TokenCache::Insert(std::string_view token, std::size_t hash,
                                         core::Identity& identity,
                                         std::shared_ptr<const void> owner_snapshot,
                                         std::shared_ptr<const void> owner_keys,
                                         std::int64_t valid_until) {
    if (capacity_ == 0 || token.size() > kTokenCacheMaxTokenBytes) return nullptr;
    if (owner_snapshot.get() != snapshot_ || owner_keys.get() != keys_) {
        // A reload or a key rotation: no entry can match again. Free them now rather than
        // letting them crowd out the tokens of the new snapshot.
        entries_.clear();
        std::fill(doorkeeper_.begin(), doorkeeper_.end(), 0);
        std::fill(present_.begin(), present_.end(), 0);
        snapshot_ = owner_snapshot.get();
        keys_ = owner_keys.get();
    }
    // Not in the presence filter: not there, no bucket walk (a flood of new tokens is all this).
    if (auto it = !MayBePresent(hash) ? entries_.end() : entries_.find(Probe{token, hash});
        it != entries_.end()) {
        it->second = Entry{std::move(identity), std::move(owner_snapshot), std::move(owner_keys),
                           valid_until};
        return &it->second.identity;
    }
    if (entries_.size() >= capacity_) {
        if (!Admit(hash)) return nullptr;
        // Make room with an entry from the next non-empty bucket after a moving cursor: by
        // hash, so close to random. (begin() is the newest entry in libstdc++.) The evicted
        // node, and its token's buffer, are reused for the new entry: no new node on a full
        // cache.
        const std::size_t buckets = entries_.bucket_count();
        for (std::size_t tried = 0; tried < buckets; ++tried) {
            const std::size_t bucket = evict_cursor_++ % buckets;
            if (entries_.bucket_size(bucket) == 0) continue;
            auto node = entries_.extract(entries_.begin(bucket)->first);
            Removed(node.key().hash);
            // Reuse the buffer only when it fits: assign() would otherwise grow it to twice
            // its capacity, and a full cache would then hold tokens at twice their size.
            if (node.key().token.capacity() >= token.size()) {
                node.key().token.assign(token);
            } else {
                node.key().token = std::string(token);
            }
            node.key().hash = hash;
            Added(hash);
            node.mapped() = Entry{std::move(identity), std::move(owner_snapshot),
                                  std::move(owner_keys), valid_until};
            return &entries_.insert(std::move(node)).position->second.identity;
        }
    }
    Added(hash);
    return &entries_
                .emplace(Key{std::string(token), hash},
                         Entry{std::move(identity), std::move(owner_snapshot),
                               std::move(owner_keys), valid_until})
                .first->second.identity;
}

}  // namespace stepgate::adapters
