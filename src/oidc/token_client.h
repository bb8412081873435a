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

struct TokenError {
    enum class Kind {
        kUnreachable,   // no answer: the provider's problem (502)
        kInvalidGrant,  // RFC 6749 §5.2: the code was used, expired or is not ours (400)
        kRefused,       // any other error answer (502)
        kMalformed,     // an answer without an id_token (502)
    } kind;
    // Fixed text plus the provider's `error` code (never its description, never a secret).
    std::string detail;
};

Result<TokenResponse, TokenError> ExchangeCode(const TokenRequest& request);

}  // namespace stepgate::oidc
