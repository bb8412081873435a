#include "adapters/render.h"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include "common/encoding.h"

namespace stepgate::adapters {

namespace bhttp = boost::beast::http;
using core::Outcome;

namespace {

// A header value from a token is set only when it cannot break the response: no control
// characters (no CR/LF injection), bounded length.
bool SafeHeaderValue(std::string_view value) {
    if (value.empty() || value.size() > 4096) return false;
    for (char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) return false;
    }
    return true;
}

// A header the response cannot hold yet (Render runs once on a fresh response), with its
// field looked up once per process: an insert, no search for an old value to replace.
struct HeaderName {
    explicit HeaderName(std::string_view text) : name(text), field(bhttp::string_to_field(text)) {}
    std::string_view name;
    bhttp::field field;
};

void InsertIfSafe(Response& response, const HeaderName& header, std::string_view value) {
    if (SafeHeaderValue(value)) response.insert(header.field, header.name, value);
}

// Values holding a comma are left out: "x,admins" would read as two groups downstream.
std::string JoinComma(const std::vector<std::string>& values) {
    std::string joined;
    for (const auto& value : values) {
        if (value.find(',') != std::string::npos) continue;
        if (!joined.empty()) joined += ',';
        joined += value;
    }
    return joined;
}

// A quoted-string for WWW-Authenticate (RFC 9110 §5.6.4): our own fixed texts and config
// values only, with quotes and backslashes escaped all the same.
void AppendQuoted(std::string& out, std::string_view value) {
    out.push_back('"');
    for (char c : value) {
        if (c == '"' || c == '\\') out.push_back('\\');
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out.push_back(c);
    }
    out.push_back('"');
}

void SetBody(Response& response, bhttp::status status, std::string_view text) {
    response.result(status);
    response.insert(bhttp::field::content_type, "text/plain; charset=utf-8");
    response.body().assign(text);
    response.body() += '\n';
}

void IdentityHeaders(const RenderInput& input, Response& response) {
    const core::Identity* id = input.identity;
    if (id == nullptr) return;
    static const HeaderName kUser("X-Auth-Request-User");
    static const HeaderName kEmail("X-Auth-Request-Email");
    static const HeaderName kPreferredUsername("X-Auth-Request-Preferred-Username");
    static const HeaderName kGroups("X-Auth-Request-Groups");
    static const HeaderName kLevel("X-Auth-Request-Level");
    static const HeaderName kAcr("X-Auth-Request-Acr");
    static const HeaderName kAmr("X-Auth-Request-Amr");
    static const HeaderName kAuthTime("X-Auth-Request-Auth-Time");
    InsertIfSafe(response, kUser, id->subject);
    InsertIfSafe(response, kEmail, id->email);
    InsertIfSafe(response, kPreferredUsername, id->preferred_username);
    if (!id->groups.empty()) InsertIfSafe(response, kGroups, JoinComma(id->groups));
    if (id->level != core::kNoLevel) {
        InsertIfSafe(response, kLevel, input.config.policy.LevelName(id->level));
    }
    InsertIfSafe(response, kAcr, id->acr);
    if (!id->amr.empty()) InsertIfSafe(response, kAmr, JoinComma(id->amr));
    if (id->auth_time) InsertIfSafe(response, kAuthTime, std::to_string(*id->auth_time));
}

constexpr std::string_view kIdentityHeaders[] = {
    "X-Auth-Request-User",   "X-Auth-Request-Email",    "X-Auth-Request-Preferred-Username",
    "X-Auth-Request-Groups", "X-Auth-Request-Level",    "X-Auth-Request-Acr",
    "X-Auth-Request-Amr",    "X-Auth-Request-Auth-Time"};

bool Redirects(Endpoint endpoint) { return endpoint != Endpoint::kAuth; }

}  // namespace

std::string StartUrl(const config::Config& config, const RequestFacts& facts) {
    if (config.public_url.empty()) return {};
    const std::string original =
        facts.target.scheme + "://" + facts.target.authority + facts.target.raw_path_and_query;
    std::string url = config.public_url + "/start?rd=" + PercentEncode(original);
    if (facts.pins) url += "&" + facts.pins->query;
    return url;
}

void Render(const RenderInput& input, Response& response) {
    const Outcome outcome = input.decision.outcome;
    const bool api = input.facts.has_bearer;

    if (outcome == Outcome::kAllow) {
        response.result(bhttp::status::ok);
        IdentityHeaders(input, response);
        response.body().clear();
        if (input.facts.endpoint == Endpoint::kExtAuthz ||
            input.facts.endpoint == Endpoint::kExtAuthzPinned) {
            // Envoy copies the allow's headers over the request's but leaves alone those the
            // allow lacks, so a client's own X-Auth-Request-Email would reach the application
            // beside our user. Envoy removes what this header lists (ext_authz HTTP service).
            std::string absent;
            for (std::string_view name : kIdentityHeaders) {
                if (response.count(name) != 0) continue;
                if (!absent.empty()) absent += ',';
                for (char c : name)
                    absent.push_back(
                        static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
            }
            if (!absent.empty()) response.set("x-envoy-auth-headers-to-remove", absent);
        }
        return;
    }

    if (api) {
        // RFC 6750 §3 and RFC 9470 §3: API callers learn what to do from WWW-Authenticate.
        switch (outcome) {
            case Outcome::kInvalidToken: {
                const std::string_view description = input.token_error
                                                         ? jose::Describe(*input.token_error)
                                                         : "the access token is not valid";
                std::string challenge;
                challenge.reserve(96 + description.size());
                challenge.append("Bearer error=\"invalid_token\", error_description=");
                AppendQuoted(challenge, description);
                response.insert(bhttp::field::www_authenticate, challenge);
                SetBody(response, bhttp::status::unauthorized, "invalid token");
                return;
            }
            case Outcome::kLogin:
            case Outcome::kStepUp: {
                std::string challenge;
                challenge.reserve(256);
                challenge.append(
                    "Bearer error=\"insufficient_user_authentication\", error_description=");
                AppendQuoted(challenge, core::Describe(input.decision.reason));
                std::string acr_values;
                for (const auto& acr :
                     core::AcrValuesFor(input.config.policy.levels, input.requirement.level)) {
                    if (!acr_values.empty()) acr_values += ' ';
                    acr_values += acr;
                }
                if (!acr_values.empty()) {
                    challenge.append(", acr_values=");
                    AppendQuoted(challenge, acr_values);
                }
                if (input.requirement.max_age) {
                    challenge.append(", max_age=");
                    challenge.append(std::to_string(*input.requirement.max_age));
                }
                response.insert(bhttp::field::www_authenticate, challenge);
                SetBody(response, bhttp::status::unauthorized, "insufficient user authentication");
                return;
            }
            case Outcome::kInsufficientScope: {
                std::string scopes;
                for (const auto& scope : input.requirement.scopes_all) {
                    if (!scopes.empty()) scopes += ' ';
                    scopes += scope;
                }
                std::string challenge;
                challenge.reserve(128 + scopes.size());
                challenge.append("Bearer error=\"insufficient_scope\", error_description=");
                AppendQuoted(challenge, core::Describe(input.decision.reason));
                challenge.append(", scope=");
                AppendQuoted(challenge, scopes);
                response.insert(bhttp::field::www_authenticate, challenge);
                SetBody(response, bhttp::status::forbidden, "insufficient scope");
                return;
            }
            case Outcome::kForbidden:
            case Outcome::kAllow:
                SetBody(response, bhttp::status::forbidden, "forbidden");
                return;
        }
    }

    // A browser, or a caller without credentials.
    switch (outcome) {
        case Outcome::kLogin:
        case Outcome::kStepUp: {
            const std::string start = StartUrl(input.config, input.facts);
            if (Redirects(input.facts.endpoint) && !start.empty()) {
                if (input.facts.wants_json) {
                    response.result(bhttp::status::unauthorized);
                    response.set(bhttp::field::content_type, "application/json");
                    response.body() =
                        std::string("{\"error\":\"") +
                        (outcome == Outcome::kLogin ? "login_required" : "step_up_required") +
                        "\",\"start_url\":\"" + start + "\"}\n";
                    return;
                }
                response.result(bhttp::status::found);
                response.set(bhttp::field::location, start);
                response.body().clear();
                return;
            }
            if (outcome == Outcome::kLogin) response.set(bhttp::field::www_authenticate, "Bearer");
            SetBody(response, bhttp::status::unauthorized,
                    outcome == Outcome::kLogin ? "authentication required" : "step-up required");
            return;
        }
        case Outcome::kInvalidToken:
            SetBody(response, bhttp::status::unauthorized, "authentication required");
            return;
        case Outcome::kInsufficientScope:
        case Outcome::kForbidden:
        case Outcome::kAllow:
            SetBody(response, bhttp::status::forbidden, "forbidden");
            return;
    }
}

}  // namespace stepgate::adapters
