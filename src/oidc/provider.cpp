#include "oidc/provider.h"

#include <nlohmann/json.hpp>

#include "http/client.h"
#include "observability/log.h"

namespace stepgate::oidc {

using observability::Log;
using observability::LogLevel;

namespace {

std::string StringMember(const nlohmann::json& doc, const char* name) {
    auto it = doc.find(name);
    if (it == doc.end() || !it->is_string()) return {};
    return it->get<std::string>();
}

std::vector<std::string> StringArrayMember(const nlohmann::json& doc, const char* name) {
    std::vector<std::string> values;
    auto it = doc.find(name);
    if (it == doc.end() || !it->is_array()) return values;
    for (const auto& item : *it) {
        if (item.is_string()) values.push_back(item.get<std::string>());
    }
    return values;
}

bool IsHttpUrl(const std::string& url) {
    return url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
}

}  // namespace

Result<Discovery> ParseDiscovery(std::string_view json, std::string_view expected_issuer) {
    auto doc = nlohmann::json::parse(json, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return MakeError(std::string("the discovery document is not a JSON object"));
    }
    Discovery d;
    d.issuer = StringMember(doc, "issuer");
    if (d.issuer != expected_issuer) {
        // OIDC Discovery §4.3: the issuer must be identical to the one configured.
        return MakeError(std::string("the discovery document names another issuer"));
    }
    d.authorization_endpoint = StringMember(doc, "authorization_endpoint");
    d.token_endpoint = StringMember(doc, "token_endpoint");
    d.jwks_uri = StringMember(doc, "jwks_uri");
    d.end_session_endpoint = StringMember(doc, "end_session_endpoint");
    d.code_challenge_methods = StringArrayMember(doc, "code_challenge_methods_supported");
    d.acr_values_supported = StringArrayMember(doc, "acr_values_supported");
    auto iss_param = doc.find("authorization_response_iss_parameter_supported");
    d.authorization_response_iss_parameter_supported =
        iss_param != doc.end() && iss_param->is_boolean() && iss_param->get<bool>();
    if (!IsHttpUrl(d.jwks_uri)) {
        return MakeError(std::string("the discovery document has no usable jwks_uri"));
    }
    // An https issuer's endpoints are https too: the client secret and the keys never travel
    // in the clear.
    if (expected_issuer.rfind("https://", 0) == 0) {
        for (const std::string* url :
             {&d.jwks_uri, &d.token_endpoint, &d.authorization_endpoint, &d.end_session_endpoint}) {
            if (!url->empty() && url->rfind("https://", 0) != 0) {
                return MakeError(std::string(
                    "the discovery document names a plain-http endpoint for an https issuer"));
            }
        }
    }
    return d;
}

Provider::Provider(std::string issuer, std::int64_t refresh_seconds, std::int64_t throttle_seconds,
                   const Clock& clock)
    : issuer_(std::move(issuer)),
      refresh_seconds_(refresh_seconds),
      throttle_seconds_(throttle_seconds),
      clock_(clock) {}

Provider::~Provider() { Stop(); }

void Provider::Start() {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] { Run(); });
}

void Provider::Stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    // Nobody will refresh any more: let every waiter go on with what there is.
    std::vector<std::function<void()>> waiting;
    {
        std::lock_guard lock(mutex_);
        waiting.swap(waiting_);
    }
    for (auto& done : waiting) done();
}

void Provider::RefreshForUnknownKid(std::function<void()> done) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            waiting_.push_back(std::move(done));
            wake_.notify_all();
            return;
        }
    }
    done();
}

bool Provider::FetchAll() {
    const std::string well_known = issuer_ + "/.well-known/openid-configuration";
    auto discovery_response = http::Fetch({.url = well_known});
    if (!discovery_response || discovery_response->status != 200) {
        Log(LogLevel::kWarn, "discovery_failed",
            {{"issuer", issuer_},
             {"error", discovery_response ? std::string_view("unexpected status")
                                          : std::string_view(discovery_response.error())}});
        return false;
    }
    auto discovery = ParseDiscovery(discovery_response->body, issuer_);
    if (!discovery) {
        Log(LogLevel::kWarn, "discovery_invalid",
            {{"issuer", issuer_}, {"error", discovery.error()}});
        return false;
    }
    auto jwks_response = http::Fetch({.url = discovery->jwks_uri});
    if (!jwks_response || jwks_response->status != 200) {
        Log(LogLevel::kWarn, "jwks_fetch_failed",
            {{"issuer", issuer_},
             {"error", jwks_response ? std::string_view("unexpected status")
                                     : std::string_view(jwks_response.error())}});
        return false;
    }
    auto keys = jose::KeySet::Parse(jwks_response->body);
    if (!keys) {
        Log(LogLevel::kWarn, "jwks_invalid", {{"issuer", issuer_}, {"error", keys.error()}});
        return false;
    }
    if (keys->size() == 0) {
        Log(LogLevel::kWarn, "jwks_empty", {{"issuer", issuer_}});
        return false;
    }
    Log(LogLevel::kInfo, "jwks_loaded",
        {{"issuer", issuer_}, {"keys", static_cast<std::int64_t>(keys->size())}});
    discovery_.Publish(std::make_shared<const Discovery>(std::move(*discovery)));
    keys_.Publish(std::make_shared<const jose::KeySet>(std::move(*keys)));
    return true;
}

void Provider::Run() {
    std::int64_t retry_seconds = 1;
    std::int64_t next_periodic = 0;  // fetch at once
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        const std::int64_t now = clock_.Now();
        const bool periodic_due = now >= next_periodic;
        const bool asked = !waiting_.empty();
        if (!periodic_due && !asked) {
            wake_.wait_for(lock,
                           std::chrono::seconds(std::max<std::int64_t>(1, next_periodic - now)));
            continue;
        }
        std::vector<std::function<void()>> waiting;
        waiting.swap(waiting_);
        const auto monotonic_now = std::chrono::steady_clock::now();
        const bool throttled =
            !periodic_due && Ready() &&
            monotonic_now - last_fetch_ < std::chrono::seconds(throttle_seconds_);
        if (throttled) {
            stats_.jwks_refresh_throttled.fetch_add(1, std::memory_order_relaxed);
        } else {
            last_fetch_ = monotonic_now;
            lock.unlock();
            const bool ok = FetchAll();
            lock.lock();
            (ok ? stats_.jwks_refresh_ok : stats_.jwks_refresh_failed)
                .fetch_add(1, std::memory_order_relaxed);
            if (ok) {
                retry_seconds = 1;
                next_periodic = clock_.Now() + refresh_seconds_;
            } else {
                // Until keys load, retry soon with backoff; afterwards, keep the cached keys
                // and retry at a tenth of the period.
                next_periodic =
                    clock_.Now() +
                    (Ready() ? std::max<std::int64_t>(5, refresh_seconds_ / 10) : retry_seconds);
                retry_seconds = std::min<std::int64_t>(retry_seconds * 2, 30);
            }
        }
        lock.unlock();
        for (auto& done : waiting) done();
        lock.lock();
    }
}

}  // namespace stepgate::oidc
