#include "oidc/flow.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "jose/base64url.h"

namespace stepgate::oidc {

using Json = nlohmann::json;

std::string RandomUrlToken(std::size_t bytes) {
    std::string raw(bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size())) != 1)
        return {};
    return jose::Base64UrlEncode(raw);
}

std::string PkceS256(std::string_view verifier) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(verifier.data(), verifier.size(), digest, &length, EVP_sha256(), nullptr) != 1)
        return {};
    return jose::Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string EncodeFlow(const FlowState& flow) {
    Json doc = {
        {"v", 1},        {"s", flow.state}, {"n", flow.nonce},     {"cv", flow.code_verifier},
        {"rd", flow.rd}, {"l", flow.level}, {"t", flow.started_at}};
    if (flow.max_age) doc["ma"] = *flow.max_age;
    if (!flow.subject_hint.empty()) doc["sub"] = flow.subject_hint;
    return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::optional<FlowState> DecodeFlow(std::string_view json) {
    Json doc = Json::parse(json, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
    try {
        // Only integers where integers belong: get<int>() on 1e300 is undefined behaviour.
        for (const char* key : {"v", "l", "t"}) {
            if (!doc.at(key).is_number_integer()) return std::nullopt;
        }
        if (doc.contains("ma") && !doc.at("ma").is_number_integer()) return std::nullopt;
        if (doc.at("v").get<std::int64_t>() != 1) return std::nullopt;
        FlowState flow;
        flow.state = doc.at("s").get<std::string>();
        flow.nonce = doc.at("n").get<std::string>();
        flow.code_verifier = doc.at("cv").get<std::string>();
        flow.rd = doc.at("rd").get<std::string>();
        const std::int64_t level = doc.at("l").get<std::int64_t>();
        if (level < -1 || level > 1000) return std::nullopt;
        flow.level = static_cast<core::LevelIndex>(level);
        flow.started_at = doc.at("t").get<std::int64_t>();
        if (doc.contains("ma")) flow.max_age = doc.at("ma").get<std::int64_t>();
        if (doc.contains("sub")) flow.subject_hint = doc.at("sub").get<std::string>();
        if (flow.state.empty() || flow.nonce.empty() || flow.code_verifier.empty())
            return std::nullopt;
        return flow;
    } catch (const Json::exception&) {
        return std::nullopt;
    }
}

std::string FlowCookieName(std::string_view session_cookie_name, std::string_view state) {
    return std::string(session_cookie_name) + "_flow_" + std::string(state.substr(0, 12));
}

std::string AuthorizationUrl(const AuthorizationRequest& r) {
    std::string url = r.authorization_endpoint;
    url += r.authorization_endpoint.find('?') == std::string::npos ? '?' : '&';
    auto add = [&url, first = true](std::string_view name, std::string_view value) mutable {
        if (!first) url += '&';
        first = false;
        url.append(name).append("=").append(PercentEncode(value));
    };
    std::string scope;
    for (const auto& s : r.scopes) scope += (scope.empty() ? "" : " ") + s;
    add("response_type", "code");
    add("client_id", r.client_id);
    add("redirect_uri", r.redirect_uri);
    add("scope", scope);
    add("state", r.state);
    add("nonce", r.nonce);
    add("code_challenge", r.code_challenge);
    add("code_challenge_method", "S256");
    if (!r.acr_values.empty()) {
        std::string acr;
        for (const auto& a : r.acr_values) acr += (acr.empty() ? "" : " ") + a;
        add("acr_values", acr);
    }
    if (r.max_age) add("max_age", std::to_string(*r.max_age));
    if (r.prompt_login) add("prompt", "login");
    if (!r.login_hint.empty()) add("login_hint", r.login_hint);
    return url;
}

std::string_view Describe(CallbackFailure failure) {
    switch (failure) {
        case CallbackFailure::kWeakerThanAsked:
            return "The identity provider did not perform the authentication this page requires.";
        case CallbackFailure::kAuthTimeMissing:
            return "The identity provider did not say when you authenticated.";
        case CallbackFailure::kStaleAuthentication:
            return "The identity provider did not ask you to authenticate again.";
    }
    return "The sign-in could not be completed.";
}

Status<CallbackFailure> CheckAuthentication(const FlowState& flow, const core::Identity& identity,
                                            std::int64_t now, std::int64_t leeway) {
    if (identity.level < flow.level) return MakeError(CallbackFailure::kWeakerThanAsked);
    if (flow.max_age) {
        // OIDC Core §3.1.2.1 / §3.1.3.7 step 13: with max_age, auth_time is REQUIRED and must
        // be recent enough.
        if (!identity.auth_time) return MakeError(CallbackFailure::kAuthTimeMissing);
        if (now - *identity.auth_time > *flow.max_age + leeway) {
            return MakeError(CallbackFailure::kStaleAuthentication);
        }
    }
    return Ok{};
}

}  // namespace stepgate::oidc
