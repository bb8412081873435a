// The configuration: YAML parsed, cross-checked, then frozen into an immutable snapshot that
// requests share (shared_ptr<const Config>). A reload swaps the whole snapshot.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/secret.h"
#include "jose/jwk.h"
#include "jose/jwt.h"
#include "policy/policy.h"

namespace stepgate::config {

enum class ProviderProfile { kGeneric, kKeycloak, kOkta, kAuth0, kEntra, kCognito, kGoogle };
std::string_view ProfileName(ProviderProfile profile);

struct ProviderConfig {
    std::string issuer;
    std::string client_id;
    Secret client_secret;
    ProviderProfile profile = ProviderProfile::kGeneric;
    std::vector<std::string> scopes{"openid", "email", "profile"};
    std::vector<std::string> audiences;  // default: {client_id}
    jose::AlgorithmSet algorithms = jose::AlgorithmSet::All();
    std::int64_t leeway_seconds = 30;
    std::int64_t jwks_refresh_seconds = 600;          // periodic refresh
    std::int64_t jwks_refresh_throttle_seconds = 30;  // min gap for unknown-kid refreshes
    bool client_secret_post = false;  // token endpoint auth: client_secret_basic by default
};

struct SessionConfig {
    std::vector<Secret> secrets;  // 32 bytes each; the first seals, all unseal
    std::string cookie_name = "_stepgate";
    std::string cookie_domain;
    bool secure = true;
    std::int64_t lifetime_seconds = 12 * 3600;
    std::string store = "cookie";
    std::string redis_url;
    std::int64_t absolute_lifetime_seconds = 7 * 24 * 3600;  // sliding refresh never passes it
};

struct RedirectConfig {
    std::vector<std::string> allowed_domains;  // lower-case, e.g. ".example.com"
    std::string default_url;
};

// An address block whose X-Forwarded-For is believed.
struct Cidr {
    bool v6 = false;
    std::array<unsigned char, 16> bytes{};
    int prefix = 0;
    bool Contains(const std::array<unsigned char, 16>& address, bool address_v6) const;
    static std::optional<Cidr> Parse(std::string_view text);
};

struct Config {
    std::string source;  // file name, for messages
    std::string listen = "0.0.0.0:4180";
    std::string public_url;   // empty when browsers are not served
    std::string public_path;  // public_url's path without a trailing slash ("" or "/stepgate")
    ProviderConfig provider;
    std::optional<SessionConfig> session;
    policy::Policy policy;
    RedirectConfig redirect;
    std::vector<Cidr> trusted_proxies;
    std::vector<std::string> claim_names;  // every claim some rule's `claims` names
    jose::VerifyOptions bearer_options;    // derived from provider and claim_names, once
    jose::VerifyOptions id_token_options;  // the same for ID tokens (aud = client_id)
    std::string log_level = "info";
};

struct ConfigError {
    std::string file;
    int line = 0;     // 1-based
    int column = 0;   // 1-based
    std::string key;  // dotted path with 0-based indexes: rules[2].require.level
    std::string message;
    std::string Format() const;  // FILE:LINE:COLUMN: KEY: MESSAGE
};

// ADDRESS:PORT with a port from 1 to 65535.
bool ValidListen(std::string_view listen);

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup ProcessEnvironment();

using ConfigResult = Result<std::shared_ptr<const Config>, std::vector<ConfigError>>;

ConfigResult LoadConfigFile(const std::string& path, const EnvLookup& env = ProcessEnvironment());
ConfigResult LoadConfigText(std::string_view text, const std::string& source_name,
                            const EnvLookup& env = ProcessEnvironment());

}  // namespace stepgate::config
