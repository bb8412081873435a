// The OpenID provider as Stepgate sees it: its discovery document and its signing keys,
// fetched on a thread of their own so that no event loop ever waits on the network.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/published.h"
#include "jose/jwk.h"

namespace stepgate::oidc {

struct Discovery {
    std::string issuer;
    std::string authorization_endpoint;
    std::string token_endpoint;
    std::string jwks_uri;
    std::string end_session_endpoint;
    std::vector<std::string> code_challenge_methods;
    std::vector<std::string> acr_values_supported;
    bool authorization_response_iss_parameter_supported = false;  // RFC 9207
};

// Parses and checks a discovery document (OIDC Discovery §3, §4.3: `issuer` must equal the
// configured issuer exactly). Pure, for tests.
Result<Discovery> ParseDiscovery(std::string_view json, std::string_view expected_issuer);

struct ProviderStats {
    std::atomic<std::uint64_t> jwks_refresh_ok{0};
    std::atomic<std::uint64_t> jwks_refresh_failed{0};
    std::atomic<std::uint64_t> jwks_refresh_throttled{0};
};

class Provider {
 public:
    Provider(std::string issuer, std::int64_t refresh_seconds, std::int64_t throttle_seconds,
             const Clock& clock);
    ~Provider();
    Provider(const Provider&) = delete;
    Provider& operator=(const Provider&) = delete;

    void Start();
    void Stop();

    // nullptr until the first JWKS has loaded; afterwards the newest good set (a failed
    // refresh keeps the old one).
    std::shared_ptr<const jose::KeySet> Keys() const { return keys_.Current(); }
    std::shared_ptr<const Discovery> GetDiscovery() const { return discovery_.Current(); }
    bool Ready() const { return keys_.Current() != nullptr; }

    // A token named a kid that the current set lacks. Refreshes unless one happened within
    // the throttle window; `done` runs on the provider thread afterwards either way.
    void RefreshForUnknownKid(std::function<void()> done);

    const ProviderStats& stats() const { return stats_; }

 private:
    void Run();
    bool FetchAll();

    const std::string issuer_;
    const std::int64_t refresh_seconds_;
    const std::int64_t throttle_seconds_;
    const Clock& clock_;

    Published<jose::KeySet> keys_;
    Published<Discovery> discovery_;
    ProviderStats stats_;

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::vector<std::function<void()>> waiting_;
    // Monotonic and finer than the injected clock's seconds: a throttle of 1 s must not let
    // two fetches through because a second boundary fell between them.
    std::chrono::steady_clock::time_point last_fetch_{};
    std::thread thread_;
};

}  // namespace stepgate::oidc
