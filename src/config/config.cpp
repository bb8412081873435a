#include "config/config.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "common/duration.h"
#include "policy/url.h"

namespace stepgate::config {

namespace {

std::string Child(const std::string& parent, std::string_view key) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}
std::string Index(const std::string& parent, std::size_t index) {
    return parent + "[" + std::to_string(index) + "]";
}

// Walks the YAML tree, collecting every error with its position instead of stopping at the
// first: `stepgate check` reports them all.
class Reader {
 public:
    Reader(std::string file, const EnvLookup& env) : file_(std::move(file)), env_(env) {}

    std::vector<ConfigError>& errors() { return errors_; }

    void Error(const YAML::Mark& mark, const std::string& key, std::string message) {
        errors_.push_back(
            ConfigError{file_, mark.line + 1, mark.column + 1, key, std::move(message)});
    }
    void Error(const YAML::Node& node, const std::string& key, std::string message) {
        Error(node.Mark(), key, std::move(message));
    }

    // True when `node` is a map; checks that every key is known and none is repeated.
    bool Map(const YAML::Node& node, const std::string& key,
             std::initializer_list<std::string_view> allowed) {
        if (!node.IsMap()) {
            Error(node, key, "must be a map");
            return false;
        }
        std::set<std::string> seen;
        for (const auto& entry : node) {
            const std::string name = entry.first.Scalar();
            if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
                std::string known;
                for (auto a : allowed) known += (known.empty() ? "" : ", ") + std::string(a);
                Error(entry.first, Child(key, name), "unknown key (known keys: " + known + ")");
            } else if (!seen.insert(name).second) {
                Error(entry.first, Child(key, name), "repeated key");
            }
        }
        return true;
    }

    std::optional<std::string> String(const YAML::Node& node, const std::string& key) {
        if (!node.IsScalar()) {
            Error(node, key, "must be a string");
            return std::nullopt;
        }
        return Substitute(node, key, node.Scalar());
    }

    std::optional<std::string> NonEmptyString(const YAML::Node& node, const std::string& key) {
        auto value = String(node, key);
        if (value && value->empty()) {
            Error(node, key, "must not be empty");
            return std::nullopt;
        }
        return value;
    }

    std::optional<std::vector<std::string>> StringList(const YAML::Node& node,
                                                       const std::string& key,
                                                       bool allow_empty = false) {
        if (!node.IsSequence()) {
            Error(node, key, "must be a list");
            return std::nullopt;
        }
        std::vector<std::string> values;
        bool ok = true;
        for (std::size_t i = 0; i < node.size(); ++i) {
            auto value = NonEmptyString(node[i], Index(key, i));
            if (value) {
                values.push_back(std::move(*value));
            } else {
                ok = false;
            }
        }
        if (!ok) return std::nullopt;
        if (values.empty() && !allow_empty) {
            Error(node, key, "must not be empty");
            return std::nullopt;
        }
        return values;
    }

    std::optional<std::int64_t> Duration(const YAML::Node& node, const std::string& key) {
        auto text = String(node, key);
        if (!text) return std::nullopt;
        auto seconds = ParseDurationSeconds(*text);
        if (!seconds) {
            Error(node, key, "must be a duration such as 30s, 15m, 12h or plain seconds");
        }
        return seconds;
    }

    std::optional<bool> Bool(const YAML::Node& node, const std::string& key) {
        auto text = String(node, key);
        if (!text) return std::nullopt;
        if (*text == "true") return true;
        if (*text == "false") return false;
        Error(node, key, "must be true or false");
        return std::nullopt;
    }

 private:
    // `${NAME}` is replaced by the environment variable NAME; unset is an error.
    std::optional<std::string> Substitute(const YAML::Node& node, const std::string& key,
                                          const std::string& text) {
        std::string out;
        std::size_t pos = 0;
        while (true) {
            const std::size_t start = text.find("${", pos);
            if (start == std::string::npos) break;
            const std::size_t end = text.find('}', start + 2);
            if (end == std::string::npos) {
                Error(node, key, "unterminated ${...}");
                return std::nullopt;
            }
            const std::string name = text.substr(start + 2, end - start - 2);
            const bool valid_name =
                !name.empty() &&
                (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                std::all_of(name.begin(), name.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                });
            if (!valid_name) {
                Error(node, key, "`${" + name + "}` is not a valid environment variable reference");
                return std::nullopt;
            }
            auto value = env_(name);
            if (!value) {
                Error(node, key, "environment variable " + name + " is not set");
                return std::nullopt;
            }
            out.append(text, pos, start - pos);
            out += *value;
            pos = end + 1;
        }
        out.append(text, pos, std::string::npos);
        return out;
    }

    std::string file_;
    const EnvLookup& env_;
    std::vector<ConfigError> errors_;
};

std::optional<std::string> DecodeStandardBase64(std::string_view text) {
    std::string clean(text);
    // Accept base64url too: operators paste either.
    std::replace(clean.begin(), clean.end(), '-', '+');
    std::replace(clean.begin(), clean.end(), '_', '/');
    while (clean.size() % 4 != 0) clean.push_back('=');
    if (clean.empty()) return std::nullopt;
    std::string out(clean.size() / 4 * 3, '\0');
    const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                        reinterpret_cast<const unsigned char*>(clean.data()),
                                        static_cast<int>(clean.size()));
    if (written < 0) return std::nullopt;
    std::size_t padding = 0;
    while (padding < 2 && clean[clean.size() - 1 - padding] == '=') ++padding;
    out.resize(static_cast<std::size_t>(written) - padding);
    return out;
}

}  // namespace

bool ValidListen(std::string_view listen) {
    const auto colon = listen.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    std::string_view port = listen.substr(colon + 1);
    if (port.empty() || port.size() > 5) return false;
    int value = 0;
    for (char c : port) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    return value > 0 && value <= 65535;
}

namespace {

std::optional<ProviderProfile> ParseProfile(std::string_view name) {
    if (name == "generic") return ProviderProfile::kGeneric;
    if (name == "keycloak") return ProviderProfile::kKeycloak;
    if (name == "okta") return ProviderProfile::kOkta;
    if (name == "auth0") return ProviderProfile::kAuth0;
    if (name == "entra") return ProviderProfile::kEntra;
    if (name == "cognito") return ProviderProfile::kCognito;
    if (name == "google") return ProviderProfile::kGoogle;
    return std::nullopt;
}

bool IsLoopbackHost(std::string_view host) {
    return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
}

class Loader {
 public:
    Loader(Reader& reader, Config& config) : r_(reader), c_(config) {}

    void Load(const YAML::Node& root) {
        if (!r_.Map(root, "",
                    {"listen", "public_url", "provider", "session", "levels", "rules", "default",
                     "redirect", "paths", "trusted_proxies", "log_level"})) {
            return;
        }
        // paths first: rules need to know whether matching is case-insensitive.
        if (root["paths"]) LoadPaths(root["paths"]);
        if (root["listen"]) {
            if (auto listen = r_.NonEmptyString(root["listen"], "listen")) {
                if (!ValidListen(*listen)) {
                    r_.Error(root["listen"], "listen",
                             "must be ADDRESS:PORT, such as 0.0.0.0:4180");
                } else {
                    c_.listen = *listen;
                }
            }
        }
        if (root["log_level"]) {
            if (auto level = r_.String(root["log_level"], "log_level")) {
                static const std::set<std::string> kLevels = {"trace", "debug", "info",
                                                              "warn",  "error", "off"};
                if (kLevels.count(*level) == 0) {
                    r_.Error(root["log_level"], "log_level",
                             "must be one of trace, debug, info, warn, error, off");
                } else {
                    c_.log_level = *level;
                }
            }
        }
        if (root["public_url"]) LoadPublicUrl(root["public_url"]);
        if (root["provider"]) {
            LoadProvider(root["provider"]);
        } else {
            r_.Error(root, "provider", "is required");
        }
        if (root["session"]) LoadSession(root["session"]);
        if (root["levels"]) {
            LoadLevels(root["levels"]);
        } else {
            r_.Error(root, "levels", "is required (at least one level, weakest first)");
        }
        if (root["rules"]) LoadRules(root["rules"]);
        c_.policy.default_requirement.level = c_.policy.levels.empty() ? core::kNoLevel : 0;
        if (root["default"]) {
            const YAML::Node& node = root["default"];
            if (r_.Map(node, "default", {"require"})) {
                if (node["require"]) {
                    LoadRequirement(node["require"], "default.require",
                                    c_.policy.default_requirement);
                } else {
                    r_.Error(node, "default.require", "is required");
                }
            }
        }
        if (root["redirect"]) LoadRedirect(root["redirect"]);
        if (root["trusted_proxies"]) LoadTrustedProxies(root["trusted_proxies"]);
        if (!c_.public_url.empty() && !c_.session) {
            r_.Error(root, "session",
                     "is required when public_url is set (browsers need sessions)");
        }
        if (c_.session && c_.session->store == "redis") {
            r_.Error(root["session"]["store"], "session.store",
                     "redis is not available in this build yet; use cookie");
        }
        CheckProfile(root);
        jose::VerifyOptions& bearer = c_.bearer_options;
        bearer.issuer = c_.provider.issuer;
        bearer.audiences = c_.provider.audiences;
        bearer.allowed_algorithms = c_.provider.algorithms;
        bearer.leeway_seconds = c_.provider.leeway_seconds;
        bearer.extra_claims = c_.claim_names;
        c_.id_token_options = bearer;
        c_.id_token_options.audiences = {c_.provider.client_id};
        c_.id_token_options.expected_azp = c_.provider.client_id;
    }

 private:
    void LoadPaths(const YAML::Node& node) {
        if (!r_.Map(node, "paths", {"case_insensitive"})) return;
        if (node["case_insensitive"]) {
            if (auto value = r_.Bool(node["case_insensitive"], "paths.case_insensitive")) {
                c_.policy.case_insensitive_paths = *value;
            }
        }
    }

    void LoadPublicUrl(const YAML::Node& node) {
        auto text = r_.NonEmptyString(node, "public_url");
        if (!text) return;
        auto url = policy::ParseAbsoluteUrl(*text, false);
        if (!url || !url->raw_query.empty() || text->find('?') != std::string::npos) {
            r_.Error(node, "public_url",
                     "must be an absolute http(s) URL without query or fragment");
            return;
        }
        c_.public_url = *text;
        while (!c_.public_url.empty() && c_.public_url.back() == '/') c_.public_url.pop_back();
        std::string path = url->path.path;
        while (!path.empty() && path.back() == '/') path.pop_back();
        c_.public_path = path;
    }

    void LoadProvider(const YAML::Node& node) {
        const std::string key = "provider";
        if (!r_.Map(node, key,
                    {"issuer", "client_id", "client_secret", "profile", "scopes", "audiences",
                     "algorithms", "leeway", "jwks_refresh", "jwks_refresh_throttle",
                     "token_endpoint_auth"})) {
            return;
        }
        ProviderConfig& p = c_.provider;
        if (!node["issuer"]) {
            r_.Error(node, "provider.issuer", "is required");
        } else if (auto issuer = r_.NonEmptyString(node["issuer"], "provider.issuer")) {
            auto url = policy::ParseAbsoluteUrl(*issuer, false);
            if (!url || issuer->find_first_of("?#") != std::string::npos) {
                r_.Error(node["issuer"], "provider.issuer", "must be an absolute https URL");
            } else if (url->scheme != "https" && !IsLoopbackHost(url->host)) {
                r_.Error(node["issuer"], "provider.issuer",
                         "must use https (plain http is accepted only for a loopback issuer)");
            } else {
                p.issuer = *issuer;
            }
        }
        if (!node["client_id"]) {
            r_.Error(node, "provider.client_id", "is required");
        } else if (auto id = r_.NonEmptyString(node["client_id"], "provider.client_id")) {
            p.client_id = *id;
        }
        if (node["client_secret"]) {
            if (auto secret = r_.String(node["client_secret"], "provider.client_secret")) {
                p.client_secret = Secret(std::move(*secret));
            }
        }
        if (node["profile"]) {
            if (auto name = r_.String(node["profile"], "provider.profile")) {
                auto profile = ParseProfile(*name);
                if (!profile) {
                    r_.Error(
                        node["profile"], "provider.profile",
                        "must be one of generic, keycloak, okta, auth0, entra, cognito, google");
                } else {
                    p.profile = *profile;
                }
            }
        }
        if (node["scopes"]) {
            if (auto scopes = r_.StringList(node["scopes"], "provider.scopes")) {
                if (std::find(scopes->begin(), scopes->end(), "openid") == scopes->end()) {
                    r_.Error(node["scopes"], "provider.scopes", "must include openid");
                }
                p.scopes = *scopes;
            }
        }
        if (node["audiences"]) {
            if (auto audiences = r_.StringList(node["audiences"], "provider.audiences")) {
                p.audiences = *audiences;
            }
        }
        if (p.audiences.empty() && !p.client_id.empty()) p.audiences = {p.client_id};
        if (node["algorithms"]) LoadAlgorithms(node["algorithms"]);
        if (node["leeway"]) {
            if (auto leeway = r_.Duration(node["leeway"], "provider.leeway")) {
                if (*leeway > 300) {
                    r_.Error(node["leeway"], "provider.leeway", "must be at most 5m");
                } else {
                    p.leeway_seconds = *leeway;
                }
            }
        }
        if (node["jwks_refresh"]) {
            if (auto v = r_.Duration(node["jwks_refresh"], "provider.jwks_refresh")) {
                if (*v < 10) {
                    r_.Error(node["jwks_refresh"], "provider.jwks_refresh", "must be at least 10s");
                } else {
                    p.jwks_refresh_seconds = *v;
                }
            }
        }
        if (node["token_endpoint_auth"]) {
            if (auto method =
                    r_.String(node["token_endpoint_auth"], "provider.token_endpoint_auth")) {
                if (*method == "client_secret_post") {
                    p.client_secret_post = true;
                } else if (*method != "client_secret_basic") {
                    r_.Error(node["token_endpoint_auth"], "provider.token_endpoint_auth",
                             "must be client_secret_basic or client_secret_post");
                }
            }
        }
        if (node["jwks_refresh_throttle"]) {
            if (auto v =
                    r_.Duration(node["jwks_refresh_throttle"], "provider.jwks_refresh_throttle")) {
                p.jwks_refresh_throttle_seconds = *v;
            }
        }
    }

    void LoadAlgorithms(const YAML::Node& node) {
        const std::string key = "provider.algorithms";
        if (!node.IsSequence() || node.size() == 0) {
            r_.Error(node, key, "must be a non-empty list such as [RS256, ES256]");
            return;
        }
        jose::AlgorithmSet set = jose::AlgorithmSet::None();
        for (std::size_t i = 0; i < node.size(); ++i) {
            auto name = r_.String(node[i], Index(key, i));
            if (!name) continue;
            auto algorithm = jose::ParseAlgorithm(*name);
            if (!algorithm) {
                std::string lower;
                for (char ch : *name)
                    lower.push_back(
                        static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
                if (lower == "none" || lower.rfind("hs", 0) == 0) {
                    // RFC 8725 §3.1/§3.2: never accept unsigned or shared-secret tokens.
                    r_.Error(
                        node[i], Index(key, i),
                        *name + " is refused: only asymmetric algorithms (RS*, PS*, ES*, EdDSA)");
                } else {
                    r_.Error(node[i], Index(key, i), "unknown algorithm " + *name);
                }
                continue;
            }
            set.Add(*algorithm);
        }
        c_.provider.algorithms = set;
    }

    void LoadSession(const YAML::Node& node) {
        const std::string key = "session";
        if (!r_.Map(node, key,
                    {"secret", "cookie_name", "cookie_domain", "secure", "lifetime",
                     "absolute_lifetime", "store", "redis"})) {
            return;
        }
        SessionConfig s;
        if (!node["secret"]) {
            r_.Error(node, "session.secret", "is required (generate one with `stepgate secret`)");
        } else {
            const YAML::Node& secret = node["secret"];
            std::vector<std::pair<YAML::Node, std::string>> items;
            if (secret.IsSequence()) {
                for (std::size_t i = 0; i < secret.size(); ++i)
                    items.emplace_back(secret[i], Index("session.secret", i));
                if (items.empty()) r_.Error(secret, "session.secret", "must not be empty");
            } else {
                items.emplace_back(secret, "session.secret");
            }
            for (auto& [item, item_key] : items) {
                auto text = r_.NonEmptyString(item, item_key);
                if (!text) continue;
                auto bytes = DecodeStandardBase64(*text);
                if (!bytes || bytes->size() != 32) {
                    r_.Error(item, item_key,
                             "must be 32 random bytes in base64 (`stepgate secret`)");
                    continue;
                }
                s.secrets.emplace_back(std::move(*bytes));
            }
        }
        if (node["cookie_name"]) {
            if (auto name = r_.NonEmptyString(node["cookie_name"], "session.cookie_name")) {
                const bool token = std::all_of(name->begin(), name->end(), [](char ch) {
                    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' ||
                           ch == '.';
                });
                if (!token || name->size() > 64) {
                    r_.Error(node["cookie_name"], "session.cookie_name",
                             "must be letters, digits, `_`, `-` or `.` (at most 64)");
                } else {
                    s.cookie_name = *name;
                }
            }
        }
        if (node["cookie_domain"]) {
            if (auto domain = r_.String(node["cookie_domain"], "session.cookie_domain"))
                s.cookie_domain = *domain;
        }
        if (node["secure"]) {
            if (auto secure = r_.Bool(node["secure"], "session.secure")) s.secure = *secure;
        }
        if (node["lifetime"]) {
            if (auto lifetime = r_.Duration(node["lifetime"], "session.lifetime")) {
                if (*lifetime < 60) {
                    r_.Error(node["lifetime"], "session.lifetime", "must be at least 1m");
                } else {
                    s.lifetime_seconds = *lifetime;
                }
            }
        }
        if (node["absolute_lifetime"]) {
            if (auto lifetime =
                    r_.Duration(node["absolute_lifetime"], "session.absolute_lifetime")) {
                s.absolute_lifetime_seconds = *lifetime;
            }
        }
        if (s.absolute_lifetime_seconds < s.lifetime_seconds) {
            r_.Error(node, "session.absolute_lifetime", "must be at least session.lifetime");
        }
        if (node["store"]) {
            if (auto store = r_.String(node["store"], "session.store")) {
                if (*store != "cookie" && *store != "redis") {
                    r_.Error(node["store"], "session.store", "must be cookie or redis");
                } else {
                    s.store = *store;
                }
            }
        }
        if (node["redis"]) {
            const YAML::Node& redis = node["redis"];
            if (r_.Map(redis, "session.redis", {"url"}) && redis["url"]) {
                if (auto url = r_.NonEmptyString(redis["url"], "session.redis.url")) {
                    if (url->rfind("redis://", 0) != 0 && url->rfind("rediss://", 0) != 0) {
                        r_.Error(redis["url"], "session.redis.url",
                                 "must start with redis:// or rediss://");
                    } else {
                        s.redis_url = *url;
                    }
                }
            }
        }
        if (s.store == "redis" && s.redis_url.empty()) {
            r_.Error(node, "session.redis.url", "is required when session.store is redis");
        }
        c_.session = std::move(s);
    }

    void LoadLevels(const YAML::Node& node) {
        const std::string key = "levels";
        if (!node.IsSequence() || node.size() == 0) {
            r_.Error(node, key, "must be a non-empty list of levels, weakest first");
            return;
        }
        for (std::size_t i = 0; i < node.size(); ++i) {
            const YAML::Node& item = node[i];
            const std::string item_key = Index(key, i);
            if (!r_.Map(item, item_key, {"name", "acr", "amr_any"})) continue;
            core::Level level;
            if (!item["name"]) {
                r_.Error(item, Child(item_key, "name"), "is required");
            } else if (auto name = r_.NonEmptyString(item["name"], Child(item_key, "name"))) {
                if (*name == "none") {
                    r_.Error(item["name"], Child(item_key, "name"),
                             "`none` is reserved (no level)");
                } else if (c_.policy.FindLevel(*name)) {
                    r_.Error(item["name"], Child(item_key, "name"), "repeats the level " + *name);
                }
                level.name = *name;
            }
            if (item["acr"]) {
                if (auto acr = r_.StringList(item["acr"], Child(item_key, "acr"), true))
                    level.acr = *acr;
            }
            if (item["amr_any"]) {
                if (auto amr = r_.StringList(item["amr_any"], Child(item_key, "amr_any"), true)) {
                    level.amr_any = *amr;
                }
            }
            if (level.acr.empty() && level.amr_any.empty()) {
                r_.Error(item, item_key,
                         "needs acr or amr_any: a level nothing proves can never be met");
            }
            for (std::size_t j = 0; j < level.acr.size(); ++j) {
                if (level.acr[j] == "0" && c_.provider.profile == ProviderProfile::kKeycloak) {
                    r_.Error(item["acr"][j], Index(Child(item_key, "acr"), j),
                             "Keycloak's acr 0 means SSO cookie only and proves no level");
                }
            }
            c_.policy.levels.push_back(std::move(level));
        }
    }

    void LoadRequirement(const YAML::Node& node, const std::string& key, core::Requirement& req) {
        if (!r_.Map(node, key,
                    {"level", "max_age", "groups_any", "groups_all", "scopes_all", "claims"})) {
            return;
        }
        // Without `level`, a requirement needs the weakest level: a signed-in user.
        req.level = c_.policy.levels.empty() ? core::kNoLevel : 0;
        if (node["level"]) {
            if (auto name = r_.NonEmptyString(node["level"], Child(key, "level"))) {
                auto level = c_.policy.FindLevel(*name);
                if (!level) {
                    std::string known = "none";
                    for (const auto& l : c_.policy.levels) known += ", " + l.name;
                    r_.Error(node["level"], Child(key, "level"),
                             "unknown level " + *name + " (known: " + known + ")");
                } else {
                    req.level = *level;
                    if (*level != core::kNoLevel)
                        levels_used_.push_back({*level, node["level"].Mark(), Child(key, "level")});
                }
            }
        }
        if (node["max_age"]) {
            if (auto max_age = r_.Duration(node["max_age"], Child(key, "max_age")))
                req.max_age = *max_age;
        }
        if (node["groups_any"]) {
            if (auto v = r_.StringList(node["groups_any"], Child(key, "groups_any")))
                req.groups_any = *v;
        }
        if (node["groups_all"]) {
            if (auto v = r_.StringList(node["groups_all"], Child(key, "groups_all")))
                req.groups_all = *v;
        }
        if (node["scopes_all"]) {
            if (auto v = r_.StringList(node["scopes_all"], Child(key, "scopes_all")))
                req.scopes_all = *v;
        }
        if (node["claims"]) {
            const YAML::Node& claims = node["claims"];
            const std::string claims_key = Child(key, "claims");
            if (!claims.IsMap() || claims.size() == 0) {
                r_.Error(claims, claims_key, "must be a map of claim name to accepted value(s)");
            } else {
                std::set<std::string> seen;
                for (const auto& entry : claims) {
                    const std::string name = entry.first.Scalar();
                    const std::string claim_key = Child(claims_key, name);
                    if (name.empty()) {
                        r_.Error(entry.first, claim_key, "a claim name cannot be empty");
                        continue;
                    }
                    if (!seen.insert(name).second) {
                        r_.Error(entry.first, claim_key, "repeated key");
                        continue;
                    }
                    core::ClaimRequirement claim{name, {}};
                    if (entry.second.IsSequence()) {
                        if (auto values = r_.StringList(entry.second, claim_key))
                            claim.accepted = *values;
                    } else if (auto value = r_.String(entry.second, claim_key)) {
                        claim.accepted.push_back(*value);
                    }
                    if (std::find(c_.claim_names.begin(), c_.claim_names.end(), name) ==
                        c_.claim_names.end()) {
                        c_.claim_names.push_back(name);
                    }
                    req.claims.push_back(std::move(claim));
                }
            }
        }
    }

    void LoadRules(const YAML::Node& node) {
        const std::string key = "rules";
        if (!node.IsSequence()) {
            r_.Error(node, key, "must be a list of rules");
            return;
        }
        for (std::size_t i = 0; i < node.size(); ++i) {
            const YAML::Node& item = node[i];
            const std::string item_key = Index(key, i);
            if (!r_.Map(item, item_key, {"name", "hosts", "paths", "methods", "require"})) continue;
            policy::Rule rule;
            if (!item["name"]) {
                r_.Error(item, Child(item_key, "name"), "is required");
            } else if (auto name = r_.NonEmptyString(item["name"], Child(item_key, "name"))) {
                if (c_.policy.FindRule(*name) != nullptr) {
                    r_.Error(item["name"], Child(item_key, "name"),
                             "repeats the rule name " + *name);
                }
                rule.name = *name;
            }
            if (item["hosts"]) {
                if (auto hosts = r_.StringList(item["hosts"], Child(item_key, "hosts"))) {
                    for (std::size_t j = 0; j < hosts->size(); ++j) {
                        auto pattern = policy::HostPattern::Parse((*hosts)[j]);
                        if (!pattern) {
                            r_.Error(item["hosts"][j], Index(Child(item_key, "hosts"), j),
                                     pattern.error());
                        } else {
                            rule.hosts.push_back(std::move(*pattern));
                        }
                    }
                }
            }
            if (item["paths"]) {
                if (auto paths = r_.StringList(item["paths"], Child(item_key, "paths"))) {
                    for (std::size_t j = 0; j < paths->size(); ++j) {
                        auto pattern = policy::PathPattern::Parse((*paths)[j],
                                                                  c_.policy.case_insensitive_paths);
                        if (!pattern) {
                            r_.Error(item["paths"][j], Index(Child(item_key, "paths"), j),
                                     pattern.error());
                        } else {
                            rule.paths.push_back(std::move(*pattern));
                        }
                    }
                }
            }
            if (item["methods"]) {
                if (auto methods = r_.StringList(item["methods"], Child(item_key, "methods"))) {
                    for (std::size_t j = 0; j < methods->size(); ++j) {
                        std::string method = (*methods)[j];
                        const bool token = std::all_of(method.begin(), method.end(), [](char ch) {
                            return std::isalpha(static_cast<unsigned char>(ch)) || ch == '-' ||
                                   ch == '_';
                        });
                        if (!token) {
                            r_.Error(item["methods"][j], Index(Child(item_key, "methods"), j),
                                     "is not an HTTP method");
                            continue;
                        }
                        for (char& ch : method)
                            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
                        rule.methods.push_back(std::move(method));
                    }
                }
            }
            if (!item["require"]) {
                r_.Error(item, Child(item_key, "require"), "is required");
            } else {
                LoadRequirement(item["require"], Child(item_key, "require"), rule.require);
            }
            c_.policy.rules.push_back(std::move(rule));
        }
    }

    void LoadRedirect(const YAML::Node& node) {
        if (!r_.Map(node, "redirect", {"allowed_domains", "default"})) return;
        if (node["allowed_domains"]) {
            if (auto domains =
                    r_.StringList(node["allowed_domains"], "redirect.allowed_domains", true)) {
                for (std::size_t i = 0; i < domains->size(); ++i) {
                    std::string domain;
                    for (char ch : (*domains)[i])
                        domain.push_back(
                            static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
                    auto check =
                        policy::NormalizeHost(domain.front() == '.' ? domain.substr(1) : domain);
                    if (!check || domain.find(':') != std::string::npos) {
                        r_.Error(node["allowed_domains"][i], Index("redirect.allowed_domains", i),
                                 "must be a domain such as .example.com or app.example.com");
                        continue;
                    }
                    c_.redirect.allowed_domains.push_back(domain);
                }
            }
        }
        if (node["default"]) {
            if (auto url = r_.NonEmptyString(node["default"], "redirect.default")) {
                auto parsed = policy::ParseAbsoluteUrl(*url, false);
                if (!parsed) {
                    r_.Error(node["default"], "redirect.default",
                             "must be an absolute http(s) URL");
                } else {
                    c_.redirect.default_url = *url;
                }
            }
        }
    }

    void LoadTrustedProxies(const YAML::Node& node) {
        auto list = r_.StringList(node, "trusted_proxies", true);
        if (!list) return;
        for (std::size_t i = 0; i < list->size(); ++i) {
            auto cidr = Cidr::Parse((*list)[i]);
            if (!cidr) {
                r_.Error(node[i], Index("trusted_proxies", i),
                         "must be an address or CIDR block such as 10.0.0.0/8");
                continue;
            }
            c_.trusted_proxies.push_back(*cidr);
        }
    }

    // Cross-checks against what the provider can actually prove (FIELD-NOTES "Providers").
    void CheckProfile(const YAML::Node& root) {
        (void)root;
        if (c_.provider.profile != ProviderProfile::kGoogle) return;
        for (const auto& use : levels_used_) {
            if (use.level > 0) {
                r_.Error(use.mark, use.key,
                         "the google profile cannot prove any level above the weakest: Google "
                         "issues no acr or amr, so this rule could never be met");
            }
        }
    }

    struct LevelUse {
        core::LevelIndex level;
        YAML::Mark mark;
        std::string key;
    };

    Reader& r_;
    Config& c_;
    std::vector<LevelUse> levels_used_;
};

}  // namespace

std::string_view ProfileName(ProviderProfile profile) {
    switch (profile) {
        case ProviderProfile::kGeneric:
            return "generic";
        case ProviderProfile::kKeycloak:
            return "keycloak";
        case ProviderProfile::kOkta:
            return "okta";
        case ProviderProfile::kAuth0:
            return "auth0";
        case ProviderProfile::kEntra:
            return "entra";
        case ProviderProfile::kCognito:
            return "cognito";
        case ProviderProfile::kGoogle:
            return "google";
    }
    return "generic";
}

std::string ConfigError::Format() const {
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
           (key.empty() ? std::string("(root)") : key) + ": " + message;
}

bool Cidr::Contains(const std::array<unsigned char, 16>& address, bool address_v6) const {
    if (address_v6 != v6) return false;
    int remaining = prefix;
    for (std::size_t i = 0; remaining > 0; ++i, remaining -= 8) {
        const int bits = remaining >= 8 ? 8 : remaining;
        const auto mask = static_cast<unsigned char>(0xFF << (8 - bits));
        if ((address[i] & mask) != (bytes[i] & mask)) return false;
    }
    return true;
}

std::optional<Cidr> Cidr::Parse(std::string_view text) {
    Cidr cidr;
    const auto slash = text.find('/');
    const std::string address(text.substr(0, slash));
    if (inet_pton(AF_INET, address.c_str(), cidr.bytes.data()) == 1) {
        cidr.v6 = false;
        cidr.prefix = 32;
    } else if (inet_pton(AF_INET6, address.c_str(), cidr.bytes.data()) == 1) {
        cidr.v6 = true;
        cidr.prefix = 128;
    } else {
        return std::nullopt;
    }
    if (slash != std::string_view::npos) {
        std::string_view bits = text.substr(slash + 1);
        if (bits.empty() || bits.size() > 3) return std::nullopt;
        int value = 0;
        for (char c : bits) {
            if (c < '0' || c > '9') return std::nullopt;
            value = value * 10 + (c - '0');
        }
        if (value > cidr.prefix) return std::nullopt;
        cidr.prefix = value;
    }
    return cidr;
}

EnvLookup ProcessEnvironment() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
    };
}

ConfigResult LoadConfigText(std::string_view text, const std::string& source_name,
                            const EnvLookup& env) {
    Reader reader(source_name, env);
    auto config = std::make_shared<Config>();
    config->source = source_name;
    try {
        YAML::Node root = YAML::Load(std::string(text));
        if (!root || root.IsNull()) {
            reader.Error(YAML::Mark(), "", "the configuration is empty");
        } else {
            Loader(reader, *config).Load(root);
        }
    } catch (const YAML::Exception& e) {
        reader.Error(e.mark, "", "YAML syntax error: " + e.msg);
    }
    if (!reader.errors().empty()) {
        std::stable_sort(reader.errors().begin(), reader.errors().end(),
                         [](const ConfigError& a, const ConfigError& b) {
                             return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                         });
        return MakeError(std::move(reader.errors()));
    }
    return std::shared_ptr<const Config>(std::move(config));
}

ConfigResult LoadConfigFile(const std::string& path, const EnvLookup& env) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return MakeError(
            std::vector<ConfigError>{ConfigError{path, 0, 0, "", "cannot read the file"}});
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (text.str().size() > 4 * 1024 * 1024) {
        return MakeError(
            std::vector<ConfigError>{ConfigError{path, 0, 0, "", "the file is larger than 4 MiB"}});
    }
    return LoadConfigText(text.str(), path, env);
}

}  // namespace stepgate::config
