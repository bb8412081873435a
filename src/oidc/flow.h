// The authorization code flow, the pure parts (OIDC Core §3.1, RFC 7636): what /start puts in
// the flow cookie and the authorization URL, and what /callback checks in what came back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "core/identity.h"
#include "core/requirement.h"

namespace stepgate::oidc {

// Random bytes as base64url (state, nonce, PKCE verifier: 256 bits each).
std::string RandomUrlToken(std::size_t bytes = 32);
// RFC 7636 §4.2: BASE64URL(SHA256(verifier)).
std::string PkceS256(std::string_view verifier);

// What a flow remembers between /start and /callback, sealed in its own cookie.
struct FlowState {
    std::string state;
    std::string nonce;
    std::string code_verifier;
    std::string rd;                       // accepted absolute URL
    core::LevelIndex level = 0;           // what the target requires
    std::optional<std::int64_t> max_age;  // sent to the provider
    std::int64_t started_at = 0;
    std::string subject_hint;  // the session's sub when the flow started (if any)
};

std::string EncodeFlow(const FlowState& flow);
std::optional<FlowState> DecodeFlow(std::string_view json);

// The flow cookie's name: one per flow, so that two tabs can step up at once.
std::string FlowCookieName(std::string_view session_cookie_name, std::string_view state);

struct AuthorizationRequest {
    std::string authorization_endpoint;
    std::string client_id;
    std::string redirect_uri;
    std::vector<std::string> scopes;
    std::string state;
    std::string nonce;
    std::string code_challenge;
    std::vector<std::string> acr_values;  // required level's first, then stronger
    std::optional<std::int64_t> max_age;
    bool prompt_login = false;  // for providers that ignore max_age
    std::string login_hint;
};

std::string AuthorizationUrl(const AuthorizationRequest& request);

enum class CallbackFailure {
    kWeakerThanAsked,      // acr/amr below the level asked for
    kAuthTimeMissing,      // max_age was sent but no auth_time came back (OIDC Core §3.1.2.1)
    kStaleAuthentication,  // auth_time older than max_age
};

std::string_view Describe(CallbackFailure failure);

// Checks what the provider actually did (asking proves nothing: only the returned claims do).
Status<CallbackFailure> CheckAuthentication(const FlowState& flow, const core::Identity& identity,
                                            std::int64_t now, std::int64_t leeway);

}  // namespace stepgate::oidc
