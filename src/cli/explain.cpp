// `stepgate explain`: which rule matched, what it requires, what the identity has, and the
// decision with its reasons. Uses the same pure pieces as the service, no server.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/clock.h"
#include "config/config.h"
#include "core/decide.h"
#include "http/client.h"
#include "jose/jwt.h"
#include "oidc/provider.h"
#include "policy/pins.h"
#include "policy/url.h"

namespace stepgate::cli {

namespace {

nlohmann::json RequirementJson(const policy::Policy& policy, const core::Requirement& r) {
    nlohmann::json out;
    out["level"] = policy.LevelName(r.level);
    if (r.max_age) out["max_age"] = *r.max_age;
    if (!r.groups_any.empty()) out["groups_any"] = r.groups_any;
    if (!r.groups_all.empty()) out["groups_all"] = r.groups_all;
    if (!r.scopes_all.empty()) out["scopes_all"] = r.scopes_all;
    for (const auto& claim : r.claims) out["claims"][claim.name] = claim.accepted;
    return out;
}

nlohmann::json IdentityJson(const policy::Policy& policy, const core::Identity& id) {
    nlohmann::json out;
    out["sub"] = id.subject;
    if (!id.email.empty()) out["email"] = id.email;
    if (!id.acr.empty()) out["acr"] = id.acr;
    if (!id.amr.empty()) out["amr"] = id.amr;
    if (!id.groups.empty()) out["groups"] = id.groups;
    if (!id.scopes.empty()) out["scopes"] = id.scopes;
    if (id.auth_time) out["auth_time"] = *id.auth_time;
    out["level"] = policy.LevelName(id.level);
    return out;
}

// Verifies --token against the provider's current keys (the one part that needs network).
Result<core::Identity, std::string> IdentityFromToken(const config::Config& config,
                                                      const std::string& token, std::int64_t now) {
    auto discovery =
        http::Fetch({.url = config.provider.issuer + "/.well-known/openid-configuration"});
    if (!discovery || discovery->status != 200) {
        return MakeError(std::string("cannot fetch the provider's discovery document"));
    }
    auto parsed = oidc::ParseDiscovery(discovery->body, config.provider.issuer);
    if (!parsed) return MakeError(parsed.error());
    auto jwks = http::Fetch({.url = parsed->jwks_uri});
    if (!jwks || jwks->status != 200)
        return MakeError(std::string("cannot fetch the provider's JWKS"));
    auto keys = jose::KeySet::Parse(jwks->body);
    if (!keys) return MakeError(keys.error());
    auto verified = jose::VerifyJwt(token, *keys, config.bearer_options, now);
    if (!verified)
        return MakeError("invalid token: " + std::string(jose::Describe(verified.error())));
    return std::move(*verified);
}

}  // namespace

int RunExplain(const ExplainOptions& options) {
    auto loaded = config::LoadConfigFile(options.config_path);
    if (!loaded) {
        for (const auto& error : loaded.error()) std::cerr << error.Format() << "\n";
        return 1;
    }
    const config::Config& config = **loaded;
    const policy::Policy& policy = config.policy;
    const std::int64_t now = options.at ? *options.at : SystemClock().Now();

    auto target = policy::ParseAbsoluteUrl(options.url, policy.case_insensitive_paths);
    if (!target) {
        std::cerr << "stepgate explain: --url: " << policy::Describe(target.error()) << " (400)\n";
        return 1;
    }
    std::string rule_name = "default";
    const core::Requirement* requirement = &policy.default_requirement;
    std::optional<policy::Pins> pins;
    if (options.pins) {
        auto parsed = policy::ParsePins(*options.pins, policy);
        if (!parsed) {
            std::cerr << "stepgate explain: --pins: " << policy::Describe(parsed.error()) << "\n";
            return 1;
        }
        pins = std::move(*parsed);
    }
    if (pins) {
        requirement = &pins->requirement;
        rule_name = pins->rule_name;
    } else if (const policy::Rule* rule =
                   policy.Match(target->host, target->path.match_path, options.method)) {
        requirement = &rule->require;
        rule_name = rule->name;
    }

    std::optional<core::Identity> identity;
    if (options.token) {
        auto verified = IdentityFromToken(config, *options.token, now);
        if (!verified) {
            std::cerr << "stepgate explain: --token: " << verified.error() << "\n";
            return 1;
        }
        identity = std::move(*verified);
    } else if (options.claims) {
        auto parsed = jose::IdentityFromClaims(*options.claims, config.bearer_options);
        if (!parsed) {
            std::cerr << "stepgate explain: --claims: " << jose::Describe(parsed.error()) << "\n";
            return 1;
        }
        identity = std::move(*parsed);
    }
    if (identity) identity->level = core::LevelOf(policy.levels, *identity);

    core::Trace trace;
    const core::Decision decision =
        core::Decide(policy.levels, *requirement, identity ? &*identity : nullptr, now, &trace);

    if (options.json) {
        nlohmann::json out;
        out["url"] = options.url;
        out["method"] = options.method;
        out["host"] = target->host;
        out["path"] = target->path.match_path;
        out["rule"] = rule_name;
        out["pinned"] = pins.has_value();
        out["requires"] = RequirementJson(policy, *requirement);
        out["identity"] = identity ? IdentityJson(policy, *identity) : nlohmann::json(nullptr);
        out["decision"] = core::Describe(decision.outcome);
        out["reason"] = core::Describe(decision.reason);
        out["trace"] = trace.lines;
        std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return 0;
    }
    std::cout << "request:  " << options.method << " " << target->scheme << "://" << target->host
              << target->path.path << "\n";
    std::cout << "rule:     " << rule_name << (pins ? " (pinned by the auth URL)" : "") << "\n";
    std::cout << "requires: "
              << RequirementJson(policy, *requirement)
                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
    std::cout << "identity: "
              << (identity ? IdentityJson(policy, *identity)
                                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                           : std::string("anonymous"))
              << "\n";
    for (const auto& line : trace.lines) std::cout << "  - " << line << "\n";
    std::cout << "decision: " << core::Describe(decision.outcome) << " ("
              << core::Describe(decision.reason) << ")\n";
    return 0;
}

}  // namespace stepgate::cli
