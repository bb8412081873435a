#include "adapters/session_cache.h"

namespace stepgate::adapters {

namespace {

// A fixed allowance per entry for the hash node, the Entry and the strings' headers.
constexpr std::size_t kEntryOverheadBytes = 512;

std::size_t Strings(const std::vector<std::string>& values) {
    std::size_t total = 0;
    for (const auto& value : values) total += sizeof(std::string) + value.size();
    return total;
}

// What an entry holds on the heap, roughly: the key and every string of the session.
std::size_t EntryBytes(std::string_view sealed, const session::SessionData& session) {
    const core::Identity& id = session.identity;
    std::size_t total = kEntryOverheadBytes + sealed.size() + session.id.size() +
                        id.subject.size() + id.issuer.size() + id.email.size() +
                        id.preferred_username.size() + id.acr.size() + Strings(id.amr) +
                        Strings(id.groups) + Strings(id.scopes);
    for (const auto& claim : id.claims) {
        total += sizeof(core::ClaimValues) + claim.name.size() + Strings(claim.values);
    }
    return total;
}

}  // namespace

void SessionCache::Clear() {
    entries_.clear();
    bytes_ = 0;
    snapshot_.reset();
}

void SessionCache::Bind(const void* snapshot) {
    if (snapshot_.get() != snapshot) Clear();
}

void SessionCache::Erase(Map::iterator it) {
    bytes_ -= it->second.bytes;
    entries_.erase(it);
}

void SessionCache::EvictOne() {
    // An entry from the next non-empty bucket after a moving cursor: by hash, so close to
    // random (begin() is the newest entry in libstdc++, which would let a flood of one-off
    // cookies push out every live one).
    const std::size_t buckets = entries_.bucket_count();
    for (std::size_t tried = 0; tried < buckets; ++tried) {
        const std::size_t bucket = evict_cursor_++ % buckets;
        if (entries_.bucket_size(bucket) == 0) continue;
        Erase(entries_.find(entries_.begin(bucket)->first));
        return;
    }
}

const session::SessionData* SessionCache::Find(std::string_view sealed, const void* snapshot,
                                               std::int64_t now) {
    if (snapshot_.get() != snapshot) {
        // Another snapshot: nothing here was opened under it.
        if (!entries_.empty()) Clear();
        return nullptr;
    }
    auto it = entries_.find(sealed);
    if (it == entries_.end()) return nullptr;
    // session::OpenSession's test: a session is current while its expiry is after now.
    if (it->second.session.expires_at <= now) {
        Erase(it);
        return nullptr;
    }
    return &it->second.session;
}

void SessionCache::Insert(std::string_view sealed, const session::SessionData& session,
                          std::shared_ptr<const void> owner_snapshot) {
    if (max_entries_ == 0 || sealed.empty() || sealed.size() > kSessionCacheMaxValueBytes) return;
    const std::size_t bytes = EntryBytes(sealed, session);
    if (bytes > max_bytes_) return;
    Bind(owner_snapshot.get());
    if (!snapshot_) snapshot_ = std::move(owner_snapshot);
    if (auto it = entries_.find(sealed); it != entries_.end()) Erase(it);
    while (!entries_.empty() && (entries_.size() >= max_entries_ || bytes_ + bytes > max_bytes_)) {
        EvictOne();
    }
    entries_.emplace(std::string(sealed), Entry{session, bytes});
    bytes_ += bytes;
}

SessionCache& ThisThreadSessionCache() {
    // One cache per event-loop thread: no locking on the hot path.
    thread_local SessionCache cache(kSessionCacheEntriesPerLoop, kSessionCacheBytesPerLoop);
    return cache;
}

}  // namespace stepgate::adapters
