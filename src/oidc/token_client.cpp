#include "oidc/token_client.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "http/client.h"
#include "oidc/flow.h"

namespace stepgate::oidc {

namespace {

std::string Base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                        reinterpret_cast<const unsigned char*>(bytes.data()),
                                        static_cast<int>(bytes.size()));
    out.resize(written > 0 ? static_cast<std::size_t>(written) : 0);
    return out;
}

}  // namespace

Result<TokenResponse, TokenError> ExchangeCode(const TokenRequest& request) {
    http::ClientRequest call;
    call.method = "POST";
    call.url = request.token_endpoint;
    call.headers["Content-Type"] = "application/x-www-form-urlencoded";
    std::string body = "grant_type=authorization_code&code=" + PercentEncode(request.code) +
                       "&redirect_uri=" + PercentEncode(request.redirect_uri) +
                       "&code_verifier=" + PercentEncode(request.code_verifier);
    const std::string_view secret =
        request.client_secret ? request.client_secret->Reveal() : std::string_view();
    if (request.auth_method == ClientAuthMethod::kClientSecretBasic) {
        // RFC 6749 §2.3.1: id and secret are form-encoded before Basic.
        call.headers["Authorization"] =
            "Basic " + Base64(PercentEncode(request.client_id) + ":" + PercentEncode(secret));
    } else {
        body += "&client_id=" + PercentEncode(request.client_id) +
                "&client_secret=" + PercentEncode(secret);
    }
    call.body = std::move(body);
    auto response = http::Fetch(call);
    if (!response) {
        return MakeError(TokenError{TokenError::Kind::kUnreachable,
                                    "token endpoint unreachable: " + response.error()});
    }
    auto doc = nlohmann::json::parse(response->body, nullptr, false);
    if (response->status != 200) {
        std::string code = "unknown";
        if (doc.is_object() && doc.contains("error") && doc["error"].is_string())
            code = doc["error"].get<std::string>();
        if (code.size() > 64) code.resize(64);
        return MakeError(TokenError{
            code == "invalid_grant" ? TokenError::Kind::kInvalidGrant : TokenError::Kind::kRefused,
            "token endpoint refused the code (status " + std::to_string(response->status) +
                ", error " + code + ")"});
    }
    if (!doc.is_object() || !doc.contains("id_token") || !doc["id_token"].is_string()) {
        return MakeError(TokenError{TokenError::Kind::kMalformed,
                                    "token endpoint answered without an id_token"});
    }
    TokenResponse out;
    out.id_token = doc["id_token"].get<std::string>();
    if (doc.contains("scope") && doc["scope"].is_string())
        out.scope = doc["scope"].get<std::string>();
    return out;
}

}  // namespace stepgate::oidc
