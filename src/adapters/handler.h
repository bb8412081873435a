// handle_request() of Stepgate: knows nothing of sockets (STYLE "Boost.Beast examples"). The
// session class does the I/O and calls this for each parsed request.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "adapters/metrics.h"
#include "adapters/request_facts.h"
#include "common/clock.h"
#include "common/published.h"
#include "config/config.h"
#include "observability/log.h"
#include "policy/redirect.h"
#include "session/cookies.h"
#include "session/sealer.h"

namespace stepgate::jose {
class KeySet;
}
namespace stepgate::oidc {
class Provider;
struct Discovery;
struct ProviderStats;
}  // namespace stepgate::oidc

namespace stepgate::adapters {

// The provider as the handler sees it; an interface so that tests need no provider thread.
class KeySource {
 public:
    virtual ~KeySource() = default;
    virtual std::shared_ptr<const jose::KeySet> Keys() const = 0;
    virtual std::shared_ptr<const oidc::Discovery> GetDiscovery() const { return nullptr; }
    virtual const oidc::ProviderStats* Stats() const { return nullptr; }
    // Blocks until a JWKS refresh (throttled) has run. Worker threads only.
    virtual void RefreshKeysAndWait() const {}
};

// Everything derived from one config, frozen together and swapped whole on reload.
struct Snapshot {
    std::shared_ptr<const config::Config> config;
    std::optional<session::Sealer> session_sealer;  // when sessions are configured
    std::optional<session::Sealer> flow_sealer;
    policy::RedirectPolicy redirect;
    session::CookieAttributes session_cookie;
    session::CookieAttributes flow_cookie;
    // Counters per rule (by index), then the default's and inline pins'; bound by Runtime.
    std::vector<OutcomeCounters*> rule_counters;

    static Result<std::shared_ptr<Snapshot>> Build(std::shared_ptr<const config::Config> config);
};

// What every request shares: the snapshot, the provider, the clock, counters.
class Runtime {
 public:
    Runtime(std::shared_ptr<Snapshot> snapshot, const KeySource& keys, const Clock& clock)
        : keys_(keys), clock_(clock) {
        Swap(std::move(snapshot));
    }

    // This thread's reference to the current snapshot (see Published): copy it to keep it.
    const std::shared_ptr<const Snapshot>& GetSnapshot() const { return snapshot_.Current(); }
    // Binds the snapshot's counters, then publishes it whole: a request sees the old one or
    // the new one, never a mix.
    void Swap(std::shared_ptr<Snapshot> snapshot) {
        snapshot->rule_counters.clear();
        for (const auto& rule : snapshot->config->policy.rules) {
            snapshot->rule_counters.push_back(metrics_.ForRule(rule.name));
        }
        snapshot->rule_counters.push_back(metrics_.ForRule("default"));
        snapshot->rule_counters.push_back(metrics_.ForRule("pinned"));
        snapshot_.Publish(std::move(snapshot));
    }
    const KeySource& keys() const { return keys_; }
    const Clock& clock() const { return clock_; }
    Metrics& metrics() { return metrics_; }
    observability::LogRateLimiter& rejection_log() { return rejection_log_; }
    bool draining() const { return draining_.load(std::memory_order_relaxed); }

    // Callbacks whose state was already redeemed: a replay is refused before it costs a
    // token-endpoint call (the provider refuses a used code anyway; this only bounds the
    // work). Bounded: past the limit the oldest half is forgotten.
    bool MarkStateUsed(const std::string& state, std::int64_t now, std::int64_t ttl) {
        std::lock_guard lock(used_states_mutex_);
        if (used_states_.size() >= kMaxUsedStates) {
            for (auto it = used_states_.begin(); it != used_states_.end();) {
                it = it->second < now || used_states_.size() >= kMaxUsedStates / 2
                         ? used_states_.erase(it)
                         : std::next(it);
            }
        }
        return used_states_.emplace(state, now + ttl).second;
    }
    // Token-endpoint calls queued or running on the worker pool; bounded by kMaxDeferred.
    std::atomic<int>& deferred_in_flight() { return deferred_in_flight_; }
    static constexpr int kMaxDeferred = 64;
    void SetDraining() { draining_.store(true, std::memory_order_relaxed); }

 private:
    Published<Snapshot> snapshot_;
    const KeySource& keys_;
    const Clock& clock_;
    Metrics metrics_;
    observability::LogRateLimiter rejection_log_{20};
    std::atomic<bool> draining_{false};
    static constexpr std::size_t kMaxUsedStates = 100000;
    std::mutex used_states_mutex_;
    std::unordered_map<std::string, std::int64_t> used_states_;
    std::atomic<int> deferred_in_flight_{0};
};

struct ConnectionInfo {
    std::string peer_address;
};

enum class HandleStatus {
    kDone,
    kNeedsKeyRefresh,  // a token named an unknown kid: refresh the JWKS, then call again
    kDeferred,         // run `deferred` on a worker thread (it does blocking I/O), then write
};

// Work that must not run on an event loop (the token endpoint call); it fills the response.
using DeferredWork = std::function<void(Response&)>;

inline constexpr std::size_t kMaxBearerTokenBytes = 16 * 1024;

HandleStatus HandleRequest(Runtime& runtime, const Request& request, Response& response,
                           const ConnectionInfo& connection, bool may_refresh_keys,
                           DeferredWork* deferred = nullptr);

}  // namespace stepgate::adapters
