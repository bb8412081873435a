#include "adapters/browser.h"

#include <openssl/crypto.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "core/decide.h"
#include "jose/jwt.h"
#include "oidc/flow.h"
#include "oidc/provider.h"
#include "oidc/token_client.h"
#include "policy/pins.h"
#include "policy/url.h"

namespace stepgate::adapters {

namespace bhttp = boost::beast::http;
using observability::Log;
using observability::LogLevel;

namespace {

constexpr std::int64_t kFlowLifetimeSeconds = 600;
constexpr std::size_t kMaxFlowCookies = 4;

// Query parameters, decoded; nullopt on a bad escape or a repeated name (never guess which).
std::optional<std::map<std::string, std::string>> ParseQuery(std::string_view query) {
    auto pairs = policy::ParseQuery(query);
    if (!pairs) return std::nullopt;
    std::map<std::string, std::string> params;
    for (auto& [key, value] : *pairs) {
        if (!params.emplace(std::move(key), std::move(value)).second) return std::nullopt;
    }
    return params;
}

const std::string* Param(const std::map<std::string, std::string>& params, const char* name) {
    auto it = params.find(name);
    return it == params.end() ? nullptr : &it->second;
}

std::string JoinComma(const std::vector<std::string>& values) {
    std::string joined;
    for (const auto& value : values) joined += (joined.empty() ? "" : ",") + value;
    return joined;
}

void Redirect(Response& response, std::string_view location) {
    response.result(bhttp::status::found);
    response.set(bhttp::field::location, location);
    response.body().clear();
}

session::CookiePairs RequestCookies(const Request& request) {
    auto range = request.equal_range(bhttp::field::cookie);
    if (range.first == range.second) return {};
    // HTTP/2 proxies may split cookies into several headers; a request normally has one.
    return session::ParseCookieHeader(range.first->value());
}

std::string LoginHint(const session::SessionData& session) {
    if (!session.identity.email.empty()) return session.identity.email;
    return session.identity.preferred_username;
}

// Audit lines carry "log":"audit" (so that an operator can route them apart), the request id
// and the client address.
void Audit(const RequestContext& context, std::string_view event,
           std::initializer_list<observability::LogField> fields) {
    std::vector<observability::LogField> tagged{
        {"log", std::string_view("audit")},
        {"request_id", std::string_view(context.request_id)},
        {"client", std::string_view(context.client)}};
    tagged.insert(tagged.end(), fields.begin(), fields.end());
    observability::LogFields(LogLevel::kInfo, event, tagged);
}

}  // namespace

void HtmlPage(Response& response, unsigned status, std::string_view title,
              std::string_view message) {
    response.result(static_cast<bhttp::status>(status));
    response.set(bhttp::field::content_type, "text/html; charset=utf-8");
    response.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    response.set("X-Content-Type-Options", "nosniff");
    std::string body = "<!doctype html><html><head><meta charset=\"utf-8\"><title>";
    body.append(title);
    body.append(
        "</title><style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;"
        "padding:0 1rem;color:#222}h1{font-size:1.4rem}</style></head><body><h1>");
    body.append(title);
    body.append("</h1><p>");
    body.append(message);
    body.append("</p></body></html>\n");
    response.body() = std::move(body);
}

std::optional<std::string> SessionCookieValue(const Snapshot& snapshot, const Request& request) {
    if (!snapshot.session_sealer) return std::nullopt;
    auto cookies = RequestCookies(request);
    if (cookies.empty()) return std::nullopt;
    return session::ReadCookie(cookies, snapshot.config->session->cookie_name);
}

std::optional<session::SessionData> OpenSessionValue(const Snapshot& snapshot,
                                                     std::string_view sealed, std::int64_t now) {
    if (!snapshot.session_sealer) return std::nullopt;
    auto session = session::OpenSession(*snapshot.session_sealer, sealed,
                                        snapshot.config->session->cookie_name, now);
    if (!session) return std::nullopt;
    // The absolute lifetime in force now bounds every session, also one sealed while a longer
    // one was configured: lowering session.absolute_lifetime and reloading cuts old cookies
    // short. (The sliding lifetime leaves no trace in the cookie; rotate the secret to end
    // every session at once.)
    const std::int64_t cap =
        session->issued_at + snapshot.config->session->absolute_lifetime_seconds;
    session->expires_at = std::min(session->expires_at, cap);
    if (session->expires_at <= now) return std::nullopt;
    session->identity.level = core::LevelOf(snapshot.config->policy.levels, session->identity);
    return session;
}

std::optional<session::SessionData> ReadSession(const Snapshot& snapshot, const Request& request,
                                                std::int64_t now) {
    auto sealed = SessionCookieValue(snapshot, request);
    if (!sealed) return std::nullopt;
    return OpenSessionValue(snapshot, *sealed, now);
}

std::optional<std::string> RefreshSessionCookie(const Snapshot& snapshot,
                                                const session::SessionData& session,
                                                const Request& request, std::int64_t now) {
    const config::SessionConfig& settings = *snapshot.config->session;
    if (session.expires_at - now > settings.lifetime_seconds / 4) return std::nullopt;
    const std::int64_t cap = session.issued_at + settings.absolute_lifetime_seconds;
    const std::int64_t expires = std::min(now + settings.lifetime_seconds, cap);
    if (expires <= session.expires_at) return std::nullopt;
    session::SessionData refreshed = session;
    refreshed.expires_at = expires;
    const std::string sealed =
        snapshot.session_sealer->Seal(session::EncodeSession(refreshed), settings.cookie_name);
    if (sealed.empty() || sealed.size() > session::kChunkBytes) return std::nullopt;
    auto cookies = RequestCookies(request);
    for (const auto& [name, value] : cookies) {
        if (name != settings.cookie_name &&
            session::HasCookieFamily({{name, value}}, settings.cookie_name)) {
            return std::nullopt;  // the session is chunked: one Set-Cookie cannot replace it
        }
    }
    session::CookieAttributes attributes = snapshot.session_cookie;
    attributes.max_age = expires - now;
    return session::SetCookieHeader(settings.cookie_name, sealed, attributes);
}

void HandleStart(Runtime& runtime, const Snapshot& snapshot, const Request& request,
                 std::string_view query, Response& response, const RequestContext& context) {
    const std::string_view request_id = context.request_id;
    const config::Config& config = *snapshot.config;
    auto discovery = runtime.keys().GetDiscovery();
    if (!snapshot.flow_sealer || config.public_url.empty()) {
        return HtmlPage(response, 404, "Not available",
                        "Browser sign-in is not configured on this gateway.");
    }
    if (discovery == nullptr || discovery->authorization_endpoint.empty()) {
        return HtmlPage(
            response, 503, "Sign-in unavailable",
            "The identity provider cannot be reached right now. Please try again shortly.");
    }
    auto params = ParseQuery(query);
    if (!params) return HtmlPage(response, 400, "Bad request", "The sign-in link is malformed.");

    // Where to go afterwards: an acceptable rd, else redirect.default, else 400.
    std::optional<std::string> rd;
    if (const std::string* given = Param(*params, "rd"))
        rd = policy::AcceptRedirect(*given, snapshot.redirect);
    if (!rd && !config.redirect.default_url.empty()) rd = config.redirect.default_url;
    if (!rd)
        return HtmlPage(response, 400, "Bad request",
                        "The sign-in link does not name an allowed destination.");

    // What the target needs: the pins in this query, else the rules for rd.
    auto pins = policy::ParsePins(query, config.policy, {"rd"});
    if (!pins) {
        // The contract's 500 for the operator's pins; logged at a bounded rate, since anyone
        // can send a /start URL.
        std::int64_t suppressed = 0;
        if (runtime.rejection_log().Allow(runtime.clock().Now(), suppressed)) {
            Log(LogLevel::kError, "bad_pins",
                {{"request_id", request_id},
                 {"error", policy::Describe(pins.error())},
                 {"suppressed_since_last", suppressed}});
        }
        return HtmlPage(response, 500, "Misconfigured", "This sign-in link is misconfigured.");
    }
    core::Requirement requirement = config.policy.default_requirement;
    std::string rule_name = "default";
    if (*pins) {
        requirement = (*pins)->requirement;
        rule_name = (*pins)->rule_name;
    } else if (auto target = policy::ParseAbsoluteUrl(*rd, config.policy.case_insensitive_paths)) {
        if (const policy::Rule* rule =
                config.policy.Match(target->host, target->path.match_path, "GET")) {
            requirement = rule->require;
            rule_name = rule->name;
        }
    } else {
        return HtmlPage(response, 400, "Bad request", "The destination address is not valid.");
    }
    // Whoever is sent here signs in at least at the weakest level.
    if (requirement.level == core::kNoLevel && !config.policy.levels.empty()) requirement.level = 0;

    const std::int64_t now = runtime.clock().Now();
    auto current = ReadSession(snapshot, request, now);
    if (current) {
        const core::Decision decision =
            core::Decide(config.policy.levels, requirement, &current->identity, now);
        if (decision.outcome == core::Outcome::kAllow) return Redirect(response, *rd);
        if (decision.outcome == core::Outcome::kForbidden ||
            decision.outcome == core::Outcome::kInsufficientScope) {
            return HtmlPage(
                response, 403, "Access denied",
                "You are signed in, but your account does not have access to this page.");
        }
    }

    oidc::FlowState flow;
    flow.state = oidc::RandomUrlToken();
    flow.nonce = oidc::RandomUrlToken();
    flow.code_verifier = oidc::RandomUrlToken();
    flow.rd = *rd;
    flow.level = requirement.level;
    flow.max_age = requirement.max_age;
    flow.started_at = now;
    if (current) flow.subject_hint = current->identity.subject;
    if (flow.state.empty() || flow.nonce.empty() || flow.code_verifier.empty()) {
        return HtmlPage(response, 500, "Error", "The sign-in could not be started.");
    }

    oidc::AuthorizationRequest authorization;
    authorization.authorization_endpoint = discovery->authorization_endpoint;
    authorization.client_id = config.provider.client_id;
    authorization.redirect_uri = config.public_url + "/callback";
    authorization.scopes = config.provider.scopes;
    authorization.state = flow.state;
    authorization.nonce = flow.nonce;
    authorization.code_challenge = oidc::PkceS256(flow.code_verifier);
    authorization.acr_values = core::AcrValuesFor(config.policy.levels, requirement.level);
    if (requirement.max_age) {
        // Google documents no max_age: ask for a fresh login instead (FIELD-NOTES).
        if (config.provider.profile == config::ProviderProfile::kGoogle) {
            authorization.prompt_login = true;
        } else {
            authorization.max_age = requirement.max_age;
        }
    }
    if (current) authorization.login_hint = LoginHint(*current);

    const std::string cookie_name = oidc::FlowCookieName(config.session->cookie_name, flow.state);
    const std::string sealed = snapshot.flow_sealer->Seal(oidc::EncodeFlow(flow), cookie_name);
    if (sealed.empty())
        return HtmlPage(response, 500, "Error", "The sign-in could not be started.");

    // Bound the flows a browser can hold: past the limit, the old ones are cleared.
    auto cookies = RequestCookies(request);
    const std::string flow_prefix = config.session->cookie_name + "_flow_";
    std::vector<std::string_view> flows;
    for (const auto& [name, value] : cookies) {
        if (name.rfind(flow_prefix, 0) == 0) flows.push_back(name);
    }
    if (flows.size() >= kMaxFlowCookies) {
        for (auto name : flows)
            response.insert(bhttp::field::set_cookie,
                            session::ClearCookieHeader(name, snapshot.flow_cookie));
    }
    session::CookieAttributes flow_attributes = snapshot.flow_cookie;
    flow_attributes.max_age = kFlowLifetimeSeconds;
    response.insert(bhttp::field::set_cookie,
                    session::SetCookieHeader(cookie_name, sealed, flow_attributes));
    std::int64_t suppressed = 0;
    if (runtime.rejection_log().Allow(now, suppressed)) {  // anyone can start flows: bounded
        Audit(context, "step_up_started",
              {{"rule", rule_name},
               {"subject",
                current ? std::string_view(current->identity.subject) : std::string_view()},
               {"required_level", config.policy.LevelName(requirement.level)},
               {"max_age", requirement.max_age ? *requirement.max_age : std::int64_t{-1}},
               {"suppressed_since_last", suppressed}});
    }
    runtime.metrics().stepups_started.fetch_add(1, std::memory_order_relaxed);
    Redirect(response, oidc::AuthorizationUrl(authorization));
}

namespace {

struct CallbackInput {
    std::shared_ptr<const Snapshot> snapshot;
    std::shared_ptr<const oidc::Discovery> discovery;
    oidc::FlowState flow;
    std::string code;
    std::string flow_cookie_name;
    session::CookiePairs cookies;  // views into `cookie_header`
    std::string cookie_header;
    RequestContext context;
};

void FailCallback(Runtime& runtime, Response& response, const RequestContext& context,
                  std::string_view reason, unsigned status, std::string_view title,
                  std::string_view message) {
    runtime.metrics().CountStepUpFailure(reason);
    std::int64_t suppressed = 0;
    if (runtime.rejection_log().Allow(runtime.clock().Now(), suppressed)) {
        Audit(context, "step_up_failed",
              {{"reason", reason}, {"suppressed_since_last", suppressed}});
    } else {
        runtime.metrics().denial_logs_suppressed.fetch_add(1, std::memory_order_relaxed);
    }
    HtmlPage(response, status, title, message);
}

void FinishCallback(Runtime& runtime, const CallbackInput& in, Response& response) {
    const config::Config& config = *in.snapshot->config;
    oidc::TokenRequest token_request;
    token_request.token_endpoint = in.discovery->token_endpoint;
    token_request.client_id = config.provider.client_id;
    token_request.client_secret = &config.provider.client_secret;
    token_request.auth_method = config.provider.client_secret_post
                                    ? oidc::ClientAuthMethod::kClientSecretPost
                                    : oidc::ClientAuthMethod::kClientSecretBasic;
    token_request.code = in.code;
    token_request.redirect_uri = config.public_url + "/callback";
    token_request.code_verifier = in.flow.code_verifier;
    auto tokens = oidc::ExchangeCode(token_request);
    if (!tokens) {
        Log(LogLevel::kWarn, "token_exchange_failed",
            {{"request_id", std::string_view(in.context.request_id)},
             {"error", tokens.error().detail}});
        if (tokens.error().kind == oidc::TokenError::Kind::kInvalidGrant) {
            // A replayed or expired callback: the browser's doing, not the provider's.
            return FailCallback(
                runtime, response, in.context, "invalid_grant", 400, "Sign-in expired",
                "This sign-in response was already used or has expired. Return to the "
                "application and try again.");
        }
        return FailCallback(
            runtime, response, in.context, "token_exchange", 502, "Sign-in failed",
            "The identity provider did not complete the sign-in. Please try again.");
    }

    // OIDC Core §3.1.3.7: the ID token, checked in full (signature, iss, aud, azp, exp, iat,
    // nonce).
    jose::VerifyOptions options = config.id_token_options;
    options.expected_nonce = in.flow.nonce;
    const std::int64_t now = runtime.clock().Now();
    auto keys = runtime.keys().Keys();
    auto verified =
        keys ? jose::VerifyJwt(tokens->id_token, *keys, options, now)
             : Result<core::Identity, jose::JwtError>(MakeError(jose::JwtError::kUnknownKey));
    if (!verified && verified.error() == jose::JwtError::kUnknownKey) {
        runtime.keys().RefreshKeysAndWait();
        keys = runtime.keys().Keys();
        if (keys) verified = jose::VerifyJwt(tokens->id_token, *keys, options, now);
    }
    if (!verified) {
        Log(LogLevel::kWarn, "id_token_rejected",
            {{"request_id", std::string_view(in.context.request_id)},
             {"reason", jose::Describe(verified.error())}});
        return FailCallback(runtime, response, in.context, "id_token", 401, "Sign-in failed",
                            "The identity provider's answer could not be verified.");
    }
    core::Identity identity = std::move(*verified);
    identity.kind = core::CredentialKind::kSession;
    identity.level = core::LevelOf(config.policy.levels, identity);
    identity.scopes.clear();
    for (std::size_t pos = 0; pos < tokens->scope.size();) {
        const std::size_t end = std::min(tokens->scope.find(' ', pos), tokens->scope.size());
        if (end > pos) identity.scopes.push_back(tokens->scope.substr(pos, end - pos));
        pos = end + 1;
    }

    // What the provider actually did: asking for MFA proves nothing.
    auto checked =
        oidc::CheckAuthentication(in.flow, identity, now, config.provider.leeway_seconds);
    if (!checked) {
        Audit(in.context, "step_up_refused",
              {{"subject", identity.subject},
               {"required_level", config.policy.LevelName(in.flow.level)},
               {"presented_acr", identity.acr},
               {"presented_amr", JoinComma(identity.amr)},
               {"presented_level", config.policy.LevelName(identity.level)},
               {"max_age", in.flow.max_age ? *in.flow.max_age : std::int64_t{-1}},
               {"auth_time", identity.auth_time ? *identity.auth_time : std::int64_t{-1}}});
        return FailCallback(runtime, response, in.context, "insufficient_authentication", 403,
                            "Stronger sign-in required", oidc::Describe(checked.error()));
    }

    // A new session at every login and every elevation; nothing carries over from the old one
    // (a different subject especially), so a planted cookie never survives a login.
    session::SessionData session;
    session.id = session::NewSessionId();
    session.issued_at = now;
    session.expires_at = now + config.session->lifetime_seconds;
    session.identity = std::move(identity);
    const std::string sealed = in.snapshot->session_sealer->Seal(session::EncodeSession(session),
                                                                 config.session->cookie_name);
    session::CookieAttributes attributes = in.snapshot->session_cookie;
    attributes.max_age = config.session->lifetime_seconds;
    auto headers =
        session::WriteCookieFamily(config.session->cookie_name, sealed, attributes, in.cookies);
    if (sealed.empty() || headers.empty()) {
        return FailCallback(runtime, response, in.context, "session_too_large", 500,
                            "Sign-in failed", "The session is too large to be stored in cookies.");
    }
    response.insert(bhttp::field::set_cookie,
                    session::ClearCookieHeader(in.flow_cookie_name, in.snapshot->flow_cookie));
    for (const auto& header : headers) response.insert(bhttp::field::set_cookie, header);
    runtime.metrics().stepups_completed.fetch_add(1, std::memory_order_relaxed);
    runtime.metrics().sessions_issued.fetch_add(1, std::memory_order_relaxed);
    Audit(in.context, in.flow.subject_hint.empty() ? "login" : "step_up",
          {{"subject", session.identity.subject},
           {"previous_subject", in.flow.subject_hint},
           {"auth_level", config.policy.LevelName(session.identity.level)},
           {"acr", session.identity.acr},
           {"amr", JoinComma(session.identity.amr)},
           {"auth_time",
            session.identity.auth_time ? *session.identity.auth_time : std::int64_t{-1}}});
    Redirect(response, in.flow.rd);
}

}  // namespace

HandleStatus HandleCallback(Runtime& runtime, std::shared_ptr<const Snapshot> snapshot,
                            const Request& request, std::string_view query, Response& response,
                            DeferredWork* deferred, RequestContext context) {
    const std::string& request_id = context.request_id;
    const config::Config& config = *snapshot->config;
    if (!snapshot->flow_sealer || config.public_url.empty()) {
        HtmlPage(response, 404, "Not available",
                 "Browser sign-in is not configured on this gateway.");
        return HandleStatus::kDone;
    }
    auto params = ParseQuery(query);
    const std::string* state = params ? Param(*params, "state") : nullptr;
    if (state == nullptr || state->size() < 16 || state->size() > 128) {
        FailCallback(
            runtime, response, context, "bad_state", 400, "Sign-in failed",
            "This sign-in response is not valid. Return to the application and try again.");
        return HandleStatus::kDone;
    }
    // The flow cookie is single-use: cleared whatever happens next.
    const std::string cookie_name = oidc::FlowCookieName(config.session->cookie_name, *state);
    response.insert(bhttp::field::set_cookie,
                    session::ClearCookieHeader(cookie_name, snapshot->flow_cookie));

    auto cookies = RequestCookies(request);
    auto sealed = session::ReadCookie(cookies, cookie_name);
    auto plaintext = sealed ? snapshot->flow_sealer->Unseal(*sealed, cookie_name) : std::nullopt;
    auto flow = plaintext ? oidc::DecodeFlow(*plaintext) : std::nullopt;
    // RFC 6749 §10.12: the state must be the one this browser's flow sent.
    if (!flow || flow->state.size() != state->size() ||
        CRYPTO_memcmp(flow->state.data(), state->data(), state->size()) != 0) {
        FailCallback(
            runtime, response, context, "unknown_flow", 400, "Sign-in expired",
            "This sign-in was not started in this browser, or it was already used. Return to the "
            "application and try again.");
        return HandleStatus::kDone;
    }
    const std::int64_t now = runtime.clock().Now();
    if (now - flow->started_at > kFlowLifetimeSeconds) {
        FailCallback(runtime, response, context, "flow_expired", 400, "Sign-in expired",
                     "This sign-in took too long. Return to the application and try again.");
        return HandleStatus::kDone;
    }
    if (const std::string* error = Param(*params, "error")) {
        Log(LogLevel::kInfo, "provider_error",
            {{"request_id", request_id}, {"error", std::string_view(*error).substr(0, 64)}});
        FailCallback(runtime, response, context, "provider_error", 403, "Sign-in not completed",
                     "The identity provider did not complete the sign-in.");
        return HandleStatus::kDone;
    }
    auto discovery = runtime.keys().GetDiscovery();
    if (discovery == nullptr || discovery->token_endpoint.empty()) {
        HtmlPage(response, 503, "Sign-in unavailable",
                 "The identity provider cannot be reached right now.");
        return HandleStatus::kDone;
    }
    // RFC 9207 §2.4: the authorization response's iss, when the provider sends it (required
    // when it advertises that it does), must be our issuer.
    const std::string* iss = Param(*params, "iss");
    if ((iss != nullptr && *iss != config.provider.issuer) ||
        (iss == nullptr && discovery->authorization_response_iss_parameter_supported)) {
        FailCallback(runtime, response, context, "wrong_iss", 400, "Sign-in failed",
                     "This sign-in response did not come from the configured identity provider.");
        return HandleStatus::kDone;
    }
    const std::string* code = Param(*params, "code");
    if (code == nullptr || code->empty() || code->size() > 4096) {
        FailCallback(runtime, response, context, "no_code", 400, "Sign-in failed",
                     "This sign-in response is not valid.");
        return HandleStatus::kDone;
    }
    if (!runtime.MarkStateUsed(flow->state, now, kFlowLifetimeSeconds)) {
        FailCallback(runtime, response, context, "replayed_state", 400, "Sign-in expired",
                     "This sign-in response was already used. Return to the application and try "
                     "again.");
        return HandleStatus::kDone;
    }
    if (runtime.deferred_in_flight().load() >= Runtime::kMaxDeferred) {
        HtmlPage(response, 503, "Busy", "Too many sign-ins at once. Please try again shortly.");
        return HandleStatus::kDone;
    }
    if (deferred == nullptr) {
        HtmlPage(response, 500, "Error", "The sign-in could not be completed.");
        return HandleStatus::kDone;
    }
    auto input = std::make_shared<CallbackInput>();
    input->snapshot = std::move(snapshot);
    input->discovery = std::move(discovery);
    input->flow = std::move(*flow);
    input->code = *code;
    input->flow_cookie_name = cookie_name;
    auto range = request.equal_range(bhttp::field::cookie);
    if (range.first != range.second) input->cookie_header = std::string(range.first->value());
    input->cookies = session::ParseCookieHeader(input->cookie_header);
    input->context = std::move(context);
    runtime.deferred_in_flight().fetch_add(1);
    *deferred = [&runtime, input](Response& deferred_response) {
        struct Done {
            Runtime& runtime;
            ~Done() { runtime.deferred_in_flight().fetch_sub(1); }
        } done{runtime};
        FinishCallback(runtime, *input, deferred_response);
    };
    return HandleStatus::kDeferred;
}

void HandleLogout(Runtime& runtime, const Snapshot& snapshot, const Request& request,
                  std::string_view query, Response& response, const RequestContext& context) {
    const config::Config& config = *snapshot.config;
    auto cookies = RequestCookies(request);
    if (config.session) {
        for (const auto& header : session::ClearCookieFamily(config.session->cookie_name,
                                                             snapshot.session_cookie, cookies)) {
            response.insert(bhttp::field::set_cookie, header);
        }
        const std::string flow_prefix = config.session->cookie_name + "_flow_";
        for (const auto& [name, value] : cookies) {
            if (name.rfind(flow_prefix, 0) == 0) {
                response.insert(bhttp::field::set_cookie,
                                session::ClearCookieHeader(name, snapshot.flow_cookie));
            }
        }
    }
    if (auto session = ReadSession(snapshot, request, runtime.clock().Now())) {
        Audit(context, "logout", {{"subject", session->identity.subject}});
    }
    // The session ends whatever rd says; an unacceptable rd is simply not followed.
    std::optional<std::string> rd;
    if (auto params = ParseQuery(query)) {
        if (const std::string* given = Param(*params, "rd"))
            rd = policy::AcceptRedirect(*given, snapshot.redirect);
    }
    if (!rd && !config.redirect.default_url.empty()) rd = config.redirect.default_url;
    auto discovery = runtime.keys().GetDiscovery();
    if (discovery != nullptr && !discovery->end_session_endpoint.empty()) {
        // OpenID Connect RP-Initiated Logout 1.0 §2: end the provider's session too.
        std::string url = discovery->end_session_endpoint;
        url += url.find('?') == std::string::npos ? '?' : '&';
        url += "client_id=" + PercentEncode(config.provider.client_id);
        if (rd) url += "&post_logout_redirect_uri=" + PercentEncode(*rd);
        return Redirect(response, url);
    }
    if (rd) return Redirect(response, *rd);
    HtmlPage(response, 200, "Signed out", "You are signed out. You can close this window.");
}

void HandleWhoami(Runtime& runtime, const Snapshot& snapshot, const Request& request,
                  Response& response) {
    response.set(bhttp::field::content_type, "application/json");
    auto session = ReadSession(snapshot, request, runtime.clock().Now());
    if (!session) {
        response.result(bhttp::status::unauthorized);
        response.body() = "{\"error\":\"no_session\"}\n";
        return;
    }
    const core::Identity& id = session->identity;
    nlohmann::json out = {{"sub", id.subject},
                          {"level", snapshot.config->policy.LevelName(id.level)},
                          {"expires_at", session->expires_at}};
    if (!id.email.empty()) out["email"] = id.email;
    if (!id.preferred_username.empty()) out["preferred_username"] = id.preferred_username;
    if (!id.groups.empty()) out["groups"] = id.groups;
    if (!id.acr.empty()) out["acr"] = id.acr;
    if (!id.amr.empty()) out["amr"] = id.amr;
    if (id.auth_time) out["auth_time"] = *id.auth_time;
    response.result(bhttp::status::ok);
    response.body() = out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace stepgate::adapters
