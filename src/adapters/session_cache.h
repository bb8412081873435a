// Opened session cookies, remembered per event loop (no locks): a session cookie seen before
// costs a hash lookup instead of base64url + AES-256-GCM + JSON decode. The sibling of
// TokenCache, with the same rules:
//  - keyed by the whole sealed value that would be unsealed (the cookie, or its chunks joined
//    exactly as session::ReadCookie joins them for Sealer::Unseal), so an entry stands for
//    exactly the bytes that opened it; nothing but a successfully opened session is stored;
//  - bound to one config snapshot (secrets, cookie name, lifetimes, levels): the first lookup
//    or insert under another snapshot empties the cache, so a reload (secret rotation,
//    lifetime change) never serves an entry opened under the old one;
//  - an entry is served only while the session's own expiry is ahead of `now`, the same test
//    session::OpenSession applies, so a cached session never outlives what unsealing allows;
//  - bounded in entries and in bytes (keys plus the session's strings), evicting from a moving
//    bucket cursor (close to random) when full.
// Nothing server-side revokes a cookie session today (logout clears the cookie in the browser;
// session.store: redis is refused by the config check), so a cached entry can only go stale by
// a reload or by its expiry, both checked here. A server-side store with revocation would
// have to be consulted (or clear these caches) before an entry is served.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/tail_hash.h"
#include "session/session.h"

namespace stepgate::adapters {

class SessionCache {
 public:
    SessionCache(std::size_t max_entries, std::size_t max_bytes)
        : max_entries_(max_entries), max_bytes_(max_bytes) {}

    // The session opened from `sealed` under exactly this snapshot, whose expiry is still after
    // `now`; nullptr otherwise. Valid until the next Find or Insert on this cache.
    const session::SessionData* Find(std::string_view sealed, const void* snapshot,
                                     std::int64_t now);

    // Remembers `session`, opened from `sealed` under `owner_snapshot`. The cache keeps the
    // snapshot alive while bound to it, so that a new snapshot at a reused address can never
    // match old entries. Values above kSessionCacheMaxValueBytes are not kept.
    void Insert(std::string_view sealed, const session::SessionData& session,
                std::shared_ptr<const void> owner_snapshot);

    std::size_t size() const { return entries_.size(); }
    std::size_t bytes() const { return bytes_; }
    void Clear();

 private:
    struct Entry {
        session::SessionData session;
        std::size_t bytes = 0;
    };
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const { return TailHash(text); }
    };
    using Map = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;

    void Bind(const void* snapshot);
    void Erase(Map::iterator it);
    void EvictOne();

    std::size_t max_entries_;
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    std::size_t evict_cursor_ = 0;
    std::shared_ptr<const void> snapshot_;
    Map entries_;
};

inline constexpr std::size_t kSessionCacheEntriesPerLoop = 8192;
inline constexpr std::size_t kSessionCacheBytesPerLoop = 16 * 1024 * 1024;
// Chunked cookies up to this size are kept (a chunk is 3800 bytes); larger ones are opened
// every time.
inline constexpr std::size_t kSessionCacheMaxValueBytes = 4 * 3800;

// This thread's cache (one per event loop thread, like the verified-token cache).
SessionCache& ThisThreadSessionCache();

}  // namespace stepgate::adapters
