// One Decision rendered per contract, in exactly one place (STYLE habit 2): /auth never
// redirects; /forward-auth and /ext-authz/ send browsers to /start.
#pragma once

#include <optional>

#include "adapters/request_facts.h"
#include "config/config.h"
#include "core/decide.h"
#include "jose/jwt.h"

namespace stepgate::adapters {

struct RenderInput {
    const config::Config& config;
    const RequestFacts& facts;
    const core::Requirement& requirement;
    core::Decision decision;
    const core::Identity* identity;  // nullptr when none
    std::optional<jose::JwtError> token_error;
};

void Render(const RenderInput& input, Response& response);

// `<public_url>/start?rd=<original URL>[&<pins>]`, or empty without a public_url.
std::string StartUrl(const config::Config& config, const RequestFacts& facts);

}  // namespace stepgate::adapters
