// The token endpoint call of the code flow (OIDC Core §3.1.3.1, RFC 6749 §4.1.3, RFC 7636
// §4.5). Blocking: runs on a worker thread, never on an event loop.
#pragma once

#include <string>

#include "common/result.h"
#include "common/secret.h"

namespace stepgate::oidc {

enum class ClientAuthMethod { kClientSecretBasic, kClientSecretPost };

struct TokenRequest {
    std::string token_endpoint;
    std::string client_id;
    const Secret* client_secret = nullptr;
    ClientAuthMethod auth_method = ClientAuthMethod::kClientSecretBasic;
    std::string code;
    std::string redirect_uri;
    std::string code_verifier;
};

struct TokenResponse {
    std::string id_token;
    std::string scope;
};

// Errors are fixed texts plus the provider's `error` code (never its description, never a
// secret), for logs.
Result<TokenResponse, std::string> ExchangeCode(const TokenRequest& request);

}  // namespace stepgate::oidc
