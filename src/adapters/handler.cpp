#include "adapters/handler.h"

#include <openssl/rand.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <chrono>
#include <cstring>

#include "adapters/browser.h"
#include "adapters/client_address.h"
#include "adapters/render.h"
#include "adapters/session_cache.h"
#include "adapters/token_cache.h"
#include "common/encoding.h"
#include "core/decide.h"
#include "jose/jwt.h"
#include "oidc/provider.h"

namespace stepgate::adapters {

namespace bhttp = boost::beast::http;
using observability::Log;
using observability::LogLevel;

namespace {

// One token cache per event-loop thread: no locking on the hot path. Made on a thread's first
// bearer token, so a loop that never sees one holds no tables.
TokenCache& ThreadTokenCache() {
    thread_local TokenCache cache(kTokenCacheEntriesPerLoop);
    return cache;
}

// A request id, held in place: no allocation on the hot path.
class RequestIdText {
 public:
    static constexpr std::size_t kMaxGiven = 128;
    explicit RequestIdText(std::string_view text) : size_(text.size()) {
        std::memcpy(data_, text.data(), text.size());
    }
    RequestIdText(std::string_view prefix, std::uint64_t counter) {
        // prefix "-" decimal counter: the digits are written backwards, then copied after.
        char digits[20];
        std::size_t count = 0;
        do {
            digits[count++] = static_cast<char>('0' + counter % 10);
            counter /= 10;
        } while (counter != 0);
        std::memcpy(data_, prefix.data(), prefix.size());
        size_ = prefix.size();
        data_[size_++] = '-';
        while (count != 0) data_[size_++] = digits[--count];
    }
    std::string_view view() const { return {data_, size_}; }

 private:
    char data_[kMaxGiven];
    std::size_t size_ = 0;
};

RequestIdText RequestId(const Request& request) {
    auto given = request["X-Request-ID"];
    if (!given.empty() && given.size() <= RequestIdText::kMaxGiven &&
        std::all_of(given.begin(), given.end(),
                    [](char c) { return IsAsciiAlnum(c) || c == '-' || c == '_' || c == '.'; })) {
        return RequestIdText(std::string_view(given.data(), given.size()));
    }
    // A random prefix per process and a counter: unique without asking the CSPRNG per request
    // (request ids are for correlating logs, not secrets).
    static const std::string prefix = RandomHex(8);
    static std::atomic<std::uint64_t> counter{0};
    return RequestIdText(prefix, counter.fetch_add(1, std::memory_order_relaxed) + 1);
}

void PlainText(Response& response, bhttp::status status, std::string_view body) {
    response.result(status);
    response.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    response.body().assign(body);
    response.body() += '\n';
}

// Strips the public_url's path, which is a second home for every endpoint.
std::string_view LocalPath(std::string_view path, const std::string& public_path) {
    if (!public_path.empty() && path.size() >= public_path.size() &&
        path.compare(0, public_path.size(), public_path) == 0 &&
        (path.size() == public_path.size() || path[public_path.size()] == '/')) {
        std::string_view rest = path.substr(public_path.size());
        return rest.empty() ? std::string_view("/") : rest;
    }
    return path;
}

RequestContext BrowserContext(const Request& request, const ConnectionInfo& connection,
                              const config::Config& config) {
    return {std::string(RequestId(request).view()),
            ClientAddress(request, connection.peer_address, config.trusted_proxies)};
}

struct Route {
    enum class Kind {
        kDecision,
        kHealth,
        kReady,
        kMetrics,
        kStart,
        kCallback,
        kLogout,
        kWhoami,
        kNotFound
    } kind = Kind::kNotFound;
    Endpoint endpoint = Endpoint::kAuth;
    std::string_view inner_target;
};

Route FindRoute(std::string_view target, const std::string& public_path) {
    const auto question = target.find('?');
    std::string_view path = LocalPath(target.substr(0, question), public_path);
    std::string_view query =
        question == std::string_view::npos ? std::string_view() : target.substr(question);
    Route route;
    if (path == "/auth") {
        route = {Route::Kind::kDecision, Endpoint::kAuth, query};
    } else if (path == "/forward-auth") {
        route = {Route::Kind::kDecision, Endpoint::kForwardAuth, query};
    } else if (path == "/healthz") {
        route.kind = Route::Kind::kHealth;
    } else if (path == "/readyz") {
        route.kind = Route::Kind::kReady;
    } else if (path == "/metrics") {
        route.kind = Route::Kind::kMetrics;
    } else if (path == "/start") {
        route = {Route::Kind::kStart, Endpoint::kAuth, query};
    } else if (path == "/callback") {
        route = {Route::Kind::kCallback, Endpoint::kAuth, query};
    } else if (path == "/logout") {
        route = {Route::Kind::kLogout, Endpoint::kAuth, query};
    } else if (path == "/whoami") {
        route.kind = Route::Kind::kWhoami;
    } else {
        // /ext-authz/<original target>: everything after the prefix, query included, is the
        // original request's. Located in the raw target so the query stays attached.
        // The local target: the raw target without the public path's prefix, query included.
        const std::size_t prefix =
            path.size() == target.substr(0, question).size() ? 0 : public_path.size();
        const std::size_t local_start = std::min(prefix, target.size());
        std::string_view local_target = target.substr(local_start);
        constexpr std::string_view kPinned = "/ext-authz-pinned/";
        constexpr std::string_view kExtAuthz = "/ext-authz";
        if (local_target.rfind(kPinned, 0) == 0) {
            route = {Route::Kind::kDecision, Endpoint::kExtAuthzPinned,
                     local_target.substr(kPinned.size())};
        } else if (local_target.rfind(kExtAuthz, 0) == 0 &&
                   (local_target.size() == kExtAuthz.size() ||
                    local_target[kExtAuthz.size()] == '/' ||
                    local_target[kExtAuthz.size()] == '?')) {
            route = {Route::Kind::kDecision, Endpoint::kExtAuthz,
                     local_target.substr(kExtAuthz.size())};
        }
    }
    return route;
}

}  // namespace

Result<std::shared_ptr<Snapshot>> Snapshot::Build(std::shared_ptr<const config::Config> config) {
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->config = std::move(config);
    const config::Config& c = *snapshot->config;
    if (c.session) {
        auto session_sealer = session::Sealer::Create(c.session->secrets, "session");
        auto flow_sealer = session::Sealer::Create(c.session->secrets, "flow");
        if (!session_sealer) return MakeError(session_sealer.error());
        if (!flow_sealer) return MakeError(flow_sealer.error());
        snapshot->session_sealer = std::move(*session_sealer);
        snapshot->flow_sealer = std::move(*flow_sealer);
        snapshot->session_cookie.domain = c.session->cookie_domain;
        snapshot->session_cookie.secure = c.session->secure;
        snapshot->session_cookie.path = "/";
        snapshot->flow_cookie.secure = c.session->secure;
        snapshot->flow_cookie.path =
            (c.public_path.empty() ? std::string() : c.public_path) + "/callback";
    }
    if (!c.public_url.empty()) {
        auto url = policy::ParseAbsoluteUrl(c.public_url, false);
        if (url) {
            snapshot->redirect.origin = url->scheme + "://" + url->authority;
            snapshot->redirect.origin_host = url->host;
        }
    }
    snapshot->redirect.allowed_domains = c.redirect.allowed_domains;
    snapshot->redirect.require_https = !c.session || c.session->secure;
    return snapshot;
}

HandleStatus HandleRequest(Runtime& runtime, const Request& request, Response& response,
                           const ConnectionInfo& connection, bool may_refresh_keys,
                           DeferredWork* deferred) {
    response.version(request.version());
    response.keep_alive(request.keep_alive());
    // A fresh response (the caller resets it per request): insert, no lookup of a field
    // that cannot be there yet.
    response.insert(bhttp::field::server, "stepgate");
    response.insert(bhttp::field::cache_control, "no-store");
    // RFC 9112 §3.2: a request with more than one Host is refused, whatever the endpoint.
    auto hosts = request.equal_range(bhttp::field::host);
    if (hosts.first != hosts.second && std::next(hosts.first) != hosts.second) {
        runtime.metrics().bad_requests.fetch_add(1, std::memory_order_relaxed);
        PlainText(response, bhttp::status::bad_request, "repeated Host header");
        return HandleStatus::kDone;
    }
    const std::shared_ptr<const Snapshot>& snapshot = runtime.GetSnapshot();
    const config::Config* config = snapshot->config.get();
    const Route route = FindRoute(request.target(), config->public_path);
    const std::string_view browser_query =
        route.inner_target.empty() ? std::string_view() : route.inner_target.substr(1);

    switch (route.kind) {
        case Route::Kind::kHealth:
            PlainText(response, bhttp::status::ok, "ok");
            return HandleStatus::kDone;
        case Route::Kind::kReady: {
            const bool ready = runtime.keys().Keys() != nullptr && !runtime.draining();
            PlainText(response, ready ? bhttp::status::ok : bhttp::status::service_unavailable,
                      ready ? "ready" : "not ready");
            return HandleStatus::kDone;
        }
        case Route::Kind::kMetrics:
            response.result(bhttp::status::ok);
            response.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
            response.body() = runtime.metrics().Render(runtime.keys().Stats());
            return HandleStatus::kDone;
        case Route::Kind::kNotFound:
            PlainText(response, bhttp::status::not_found, "not found");
            return HandleStatus::kDone;
        case Route::Kind::kStart:
            HandleStart(runtime, *snapshot, request, browser_query, response,
                        BrowserContext(request, connection, *config));
            return HandleStatus::kDone;
        case Route::Kind::kCallback:
            return HandleCallback(runtime, snapshot, request, browser_query, response, deferred,
                                  BrowserContext(request, connection, *config));
        case Route::Kind::kLogout:
            if (request.method() != bhttp::verb::get && request.method() != bhttp::verb::post) {
                PlainText(response, bhttp::status::method_not_allowed, "method not allowed");
                return HandleStatus::kDone;
            }
            HandleLogout(runtime, *snapshot, request, browser_query, response,
                         BrowserContext(request, connection, *config));
            return HandleStatus::kDone;
        case Route::Kind::kWhoami:
            HandleWhoami(runtime, *snapshot, request, response);
            return HandleStatus::kDone;
        case Route::Kind::kDecision:
            break;
    }

    // Every decision's time, whatever way it ends (a key refresh re-enters and counts twice,
    // rarely).
    struct LatencyObserver {
        Metrics& metrics;
        std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
        ~LatencyObserver() { metrics.ObserveLatency(std::chrono::steady_clock::now() - started); }
    } latency{runtime.metrics()};
    const RequestIdText request_id_text = RequestId(request);
    const std::string_view request_id = request_id_text.view();
    static const bhttp::field kRequestIdField = bhttp::string_to_field("X-Request-ID");
    response.insert(kRequestIdField, "X-Request-ID", request_id);
    auto facts = ReadFacts(route.endpoint, request, route.inner_target, config->policy);
    if (!facts) {
        const FactsFailure& failure = facts.error();
        if (failure.error == FactsError::kBadPins) {
            // The operator's mistake: loud, and never an allow.
            runtime.metrics().misconfigured.fetch_add(1, std::memory_order_relaxed);
            Log(LogLevel::kError, "bad_pins",
                {{"request_id", request_id}, {"error", failure.Describe()}});
            PlainText(response, bhttp::status::internal_server_error,
                      "stepgate: misconfigured auth URL");
        } else {
            runtime.metrics().bad_requests.fetch_add(1, std::memory_order_relaxed);
            std::int64_t suppressed = 0;
            if (runtime.rejection_log().Allow(runtime.clock().Now(), suppressed)) {
                const std::string client =
                    ClientAddress(request, connection.peer_address, config->trusted_proxies);
                Log(LogLevel::kInfo, "bad_request",
                    {{"request_id", request_id},
                     {"error", failure.Describe()},
                     {"client", client},
                     {"suppressed_since_last", suppressed}});
            }
            PlainText(response, bhttp::status::bad_request, failure.Describe());
        }
        return HandleStatus::kDone;
    }

    // The token cache's counters for this token start loading now, while the route is matched.
    const bool bearer_within_bounds = facts->has_bearer && !facts->bearer_token.empty() &&
                                      facts->bearer_token.size() <= kMaxBearerTokenBytes;
    const std::size_t bearer_hash =
        bearer_within_bounds ? ThreadTokenCache().Prefetch(facts->bearer_token) : 0;

    const policy::Policy& policy = config->policy;
    const policy::Rule* rule = nullptr;
    const core::Requirement* requirement = nullptr;
    std::string_view rule_name;
    std::size_t counter_index = policy.rules.size();  // the default's
    if (facts->pins) {
        requirement = &facts->pins->requirement;
        rule_name = facts->pins->rule_name;
        const policy::Rule* pinned_rule = policy.FindRule(rule_name);
        counter_index = pinned_rule != nullptr
                            ? static_cast<std::size_t>(pinned_rule - policy.rules.data())
                            : policy.rules.size() + 1;
    } else {
        rule = policy.Match(facts->target.host, facts->target.path.match_path, facts->method);
        requirement = rule != nullptr ? &rule->require : &policy.default_requirement;
        rule_name = rule != nullptr ? std::string_view(rule->name) : std::string_view("default");
        if (rule != nullptr) counter_index = static_cast<std::size_t>(rule - policy.rules.data());
    }

    // One clock read for the whole decision: the cache, Decide and the cookie refresh agree.
    const std::int64_t now = runtime.clock().Now();
    core::Identity identity;
    const core::Identity* presented = nullptr;
    core::Decision decision;
    std::optional<jose::JwtError> token_error;
    if (facts->has_bearer) {
        if (!bearer_within_bounds) {
            token_error = jose::JwtError::kTooLarge;
            if (facts->bearer_token.empty()) token_error = jose::JwtError::kMalformed;
        } else {
            auto keys = runtime.keys().Keys();
            if (keys == nullptr) {
                runtime.metrics().not_ready.fetch_add(1, std::memory_order_relaxed);
                PlainText(response, bhttp::status::service_unavailable,
                          "stepgate: provider keys not loaded yet");
                return HandleStatus::kDone;
            }
            const TokenCache::Lookup lookup = ThreadTokenCache().Find(
                facts->bearer_token, bearer_hash, snapshot.get(), keys.get(), now);
            presented = lookup.identity;
            if (presented == nullptr) {
                auto verified =
                    jose::VerifyJwt(facts->bearer_token, *keys, config->bearer_options, now);
                if (verified) {
                    identity = std::move(*verified);
                    identity.level = core::LevelOf(policy.levels, identity);
                    const std::int64_t valid_until =
                        identity.expires_at + config->bearer_options.leeway_seconds;
                    // The cache takes the identity when it keeps the token (a full cache admits a
                    // token on its second verification); used from there.
                    presented = ThreadTokenCache().Insert(facts->bearer_token, lookup.hash,
                                                          identity, snapshot, keys, valid_until);
                    if (presented == nullptr) presented = &identity;
                } else if (verified.error() == jose::JwtError::kUnknownKey && may_refresh_keys) {
                    return HandleStatus::kNeedsKeyRefresh;
                } else {
                    token_error = verified.error();
                }
            }
        }
    }

    // A session cookie: opened once per event loop and snapshot, then served from this
    // thread's cache until the session's own expiry (see session_cache.h). `session` points
    // into the cache or at `opened`, and is used before anything else touches the cache.
    const session::SessionData* session = nullptr;
    std::optional<session::SessionData> opened;
    if (!facts->has_bearer && !facts->cookies.empty()) {
        if (auto sealed = SessionCookieValue(*snapshot, request)) {
            SessionCache& cache = ThisThreadSessionCache();
            session = cache.Find(*sealed, snapshot.get(), now);
            if (session == nullptr) {
                opened = OpenSessionValue(*snapshot, *sealed, now);
                if (opened) {
                    cache.Insert(*sealed, *opened, snapshot);
                    session = &*opened;
                }
            }
        }
        if (session != nullptr) presented = &session->identity;
    }

    if (token_error) {
        decision = {core::Outcome::kInvalidToken, core::Reason::kInvalidToken};
    } else {
        decision = core::Decide(policy.levels, *requirement, presented, now);
    }
    runtime.metrics().CountDecision(decision.outcome, counter_index < snapshot->rule_counters.size()
                                                          ? snapshot->rule_counters[counter_index]
                                                          : nullptr);

    RenderInput input{*config, *facts, *requirement, decision, presented, token_error};
    Render(input, response);
    if (session != nullptr && decision.outcome == core::Outcome::kAllow) {
        if (auto cookie = RefreshSessionCookie(*snapshot, *session, request, now)) {
            response.set(bhttp::field::set_cookie, *cookie);
            runtime.metrics().sessions_refreshed.fetch_add(1, std::memory_order_relaxed);
        }
    }
    if (decision.outcome != core::Outcome::kAllow && observability::LogEnabled(LogLevel::kInfo)) {
        // Denials are logged at a bounded rate, so that a flood of bad tokens cannot flood the
        // log; what is dropped is counted.
        std::int64_t suppressed = 0;
        if (!runtime.rejection_log().Allow(now, suppressed)) {
            runtime.metrics().denial_logs_suppressed.fetch_add(1, std::memory_order_relaxed);
            return HandleStatus::kDone;
        }
        const std::string client =
            ClientAddress(request, connection.peer_address, config->trusted_proxies);
        Log(LogLevel::kInfo, "denied",
            {{"log", std::string_view("audit")},
             {"request_id", request_id},
             {"outcome", core::Describe(decision.outcome)},
             {"reason",
              token_error ? jose::Describe(*token_error) : core::Describe(decision.reason)},
             {"rule", rule_name},
             {"subject", presented ? std::string_view(presented->subject) : std::string_view()},
             {"required_level", policy.LevelName(requirement->level)},
             {"max_age", requirement->max_age ? *requirement->max_age : std::int64_t{-1}},
             {"presented_acr", presented ? std::string_view(presented->acr) : std::string_view()},
             {"presented_auth_time",
              presented && presented->auth_time ? *presented->auth_time : std::int64_t{-1}},
             {"host", facts->target.host},
             {"method", facts->method},
             {"client", client},
             {"suppressed_since_last", suppressed}});
    }
    return HandleStatus::kDone;
}

}  // namespace stepgate::adapters
