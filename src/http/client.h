// A small HTTP(S) client for talking to the OpenID provider (discovery, JWKS, later the token
// endpoint). Blocking, with one deadline (`timeout`) for lookup, connect, TLS, write and read:
// call it only from the provider's own thread or a worker, never from an event loop
// that answers /auth.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "common/result.h"

namespace stepgate::http {

struct ClientResponse {
    int status = 0;
    std::string content_type;
    std::string body;
};

struct ClientRequest {
    std::string method = "GET";
    std::string url;
    std::map<std::string, std::string> headers;
    std::string body;
    std::chrono::milliseconds timeout{5000};
    std::size_t max_body_bytes = 1024 * 1024;
};

// Errors are fixed descriptions plus the URL's host; never the body, never a secret.
Result<ClientResponse, std::string> Fetch(const ClientRequest& request);

}  // namespace stepgate::http
