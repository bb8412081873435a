// handle_request() of Stepgate: knows nothing of sockets (STYLE "Boost.Beast examples"). The
// session class does the I/O and calls this for each parsed request.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "adapters/metrics.h"
#include "adapters/request_facts.h"
#include "common/clock.h"
#include "config/config.h"
#include "observability/log.h"

namespace stepgate::jose {
class KeySet;
}
namespace stepgate::oidc {
class Provider;
}

namespace stepgate::adapters {

using Response = boost::beast::http::response<boost::beast::http::string_body>;

// Where the keys come from; an interface so that tests need no provider thread.
class KeySource {
   public:
    virtual ~KeySource() = default;
    virtual std::shared_ptr<const jose::KeySet> Keys() const = 0;
    virtual const oidc::ProviderStats* Stats() const { return nullptr; }
};

// What every request shares: the frozen config (swapped whole on reload), keys, clock, counters.
class Runtime {
   public:
    Runtime(std::shared_ptr<const config::Config> config, const KeySource& keys, const Clock& clock)
        : config_(std::move(config)), keys_(keys), clock_(clock) {}

    std::shared_ptr<const config::Config> Config() const { return config_.load(std::memory_order_acquire); }
    void SwapConfig(std::shared_ptr<const config::Config> config) {
        config_.store(std::move(config), std::memory_order_release);
    }
    const KeySource& keys() const { return keys_; }
    const Clock& clock() const { return clock_; }
    Metrics& metrics() { return metrics_; }
    observability::LogRateLimiter& rejection_log() { return rejection_log_; }
    bool draining() const { return draining_.load(std::memory_order_relaxed); }
    void SetDraining() { draining_.store(true, std::memory_order_relaxed); }

   private:
    std::atomic<std::shared_ptr<const config::Config>> config_;
    const KeySource& keys_;
    const Clock& clock_;
    Metrics metrics_;
    observability::LogRateLimiter rejection_log_{20};
    std::atomic<bool> draining_{false};
};

struct ConnectionInfo {
    std::string peer_address;
};

enum class HandleStatus {
    kDone,
    kNeedsKeyRefresh,  // a token named an unknown kid: refresh the JWKS, then call again
};

inline constexpr std::size_t kMaxBearerTokenBytes = 16 * 1024;

HandleStatus HandleRequest(Runtime& runtime, const Request& request, Response& response,
                           const ConnectionInfo& connection, bool may_refresh_keys);

}  // namespace stepgate::adapters
