// adapters::HandleRequest: the whole request path without sockets, on a Runtime built from the
// fixed config, a static key source (the fixed JWKS and a discovery document) and a fixed
// clock at kNow. Input: see common/http_input.h (request line, then header lines), parsed by
// Beast with the server's limits. Two pseudo-header lines let the fuzzer present credentials
// it could not forge:
//   @session: <json>   sealed with the fixed secret into `Cookie: _stepgate=...`
//   @flow: <json>      sealed into the flow cookie that the JSON's "s" (state) names
// Bearer tokens come from the committed seeds (signed with the fixed keys).
//
// Properties: the status is one the contract names; no response header holds CR, LF or NUL;
// /auth never redirects; a redirect goes to the public URL or to a host redirect.allowed_domains
// allows; an allow (200) on /auth for a rule that does not allow anonymous callers needs a
// credential that verifies (a bearer token VerifyJwt accepts, or a session that opens).
#include "adapters/handler.h"

#include <openssl/rand.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <boost/beast/http/field.hpp>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/fuzz_support.h"
#include "common/http_input.h"
#include "common/known.h"
#include "jose/jwt.h"
#include "oidc/flow.h"
#include "oidc/provider.h"
#include "policy/url.h"
#include "session/cookies.h"
#include "session/session.h"

using namespace stepgate;
namespace bhttp = boost::beast::http;

namespace {

class StaticKeys final : public adapters::KeySource {
 public:
    StaticKeys() {
        auto set = jose::KeySet::Parse(fuzz::JwksText());
        if (!set) fuzz::Fail("the fixed JWKS does not parse");
        keys_ = std::make_shared<const jose::KeySet>(std::move(*set));
        auto discovery = std::make_shared<oidc::Discovery>();
        discovery->issuer = std::string(fuzz::kIssuer);
        discovery->authorization_endpoint = "https://idp.example.com/authorize";
        discovery->token_endpoint = "https://idp.example.com/token";
        discovery->jwks_uri = "https://idp.example.com/jwks";
        discovery->end_session_endpoint = "https://idp.example.com/logout";
        discovery->code_challenge_methods = {"S256"};
        discovery->acr_values_supported = {"urn:stepgate:loa:pwd", "urn:stepgate:loa:mfa"};
        discovery_ = std::move(discovery);
    }
    std::shared_ptr<const jose::KeySet> Keys() const override { return keys_; }
    std::shared_ptr<const oidc::Discovery> GetDiscovery() const override { return discovery_; }

 private:
    std::shared_ptr<const jose::KeySet> keys_;
    std::shared_ptr<const oidc::Discovery> discovery_;
};

struct World {
    FixedClock clock{fuzz::kNow};
    StaticKeys keys;
    std::unique_ptr<adapters::Runtime> runtime;
    policy::RedirectPolicy redirect;
};

World& TheWorld() {
    static World* world = [] {
        // Logging stays on (its JSON encoding of client bytes is part of the path), into a
        // null sink.
        observability::InitLogging(observability::LogLevel::kTrace);
        if (auto logger = spdlog::get("stepgate")) {
            logger->sinks().clear();
            logger->sinks().push_back(std::make_shared<spdlog::sinks::null_sink_mt>());
        }
        auto* w = new World;
        auto snapshot = adapters::Snapshot::Build(fuzz::Config());
        if (!snapshot) fuzz::Fail("Snapshot::Build");
        w->redirect = (*snapshot)->redirect;
        w->runtime = std::make_unique<adapters::Runtime>(*snapshot, w->keys, w->clock);
        return w;
    }();
    return *world;
}

// Replaces the @session / @flow pseudo-headers with sealed Cookie headers.
std::string SealPseudoHeaders(std::string_view data) {
    std::string out;
    out.reserve(data.size() + 256);
    bool first = true;
    for (std::string_view line : fuzz::SplitLines(data)) {
        if (!first) out += "\r\n";
        first = false;
        if (line.rfind("@session:", 0) == 0) {
            std::string_view json = line.substr(9);
            out += "Cookie: _stepgate=" + fuzz::SessionSealer().Seal(json, fuzz::kSessionCookie);
        } else if (line.rfind("@flow:", 0) == 0) {
            std::string_view json = line.substr(6);
            std::string state;
            auto doc = nlohmann::json::parse(json, nullptr, false);
            if (doc.is_object() && doc.contains("s") && doc["s"].is_string())
                state = doc["s"].get<std::string>();
            const std::string name = oidc::FlowCookieName(fuzz::kSessionCookie, state);
            out += "Cookie: " + name + "=" + fuzz::FlowSealer().Seal(json, name);
        } else {
            out.append(line);
        }
    }
    return out;
}

bool HeaderValueSafe(std::string_view value) {
    for (char c : value) {
        if (c == '\r' || c == '\n' || c == '\0') return false;
    }
    return true;
}

bool ValidCredential(const adapters::Request& request, const adapters::RequestFacts& facts) {
    if (facts.has_bearer) {
        return jose::VerifyJwt(facts.bearer_token, fuzz::KeySet(), fuzz::BearerOptions(),
                               fuzz::kNow)
            .has_value();
    }
    auto range = request.equal_range(bhttp::field::cookie);
    if (range.first == range.second) return false;
    auto pairs = session::ParseCookieHeader(range.first->value());
    auto sealed = session::ReadCookie(pairs, fuzz::kSessionCookie);
    return sealed &&
           session::OpenSession(fuzz::SessionSealer(), *sealed, fuzz::kSessionCookie, fuzz::kNow);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)TheWorld();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view raw(reinterpret_cast<const char*>(data), size);
    const std::string sealed = SealPseudoHeaders(raw);
    auto http = fuzz::ParseHttpInput(sealed);
    if (!http) return 0;
    const adapters::Request& request = http->request;
    World& world = TheWorld();

    adapters::Response response;
    adapters::DeferredWork deferred;  // never run: it would call the token endpoint
    // Work handed out but never run would count as in flight forever; each input starts clean.
    const auto in_flight = world.runtime->deferred_in_flight().load();
    struct Restore {
        adapters::Runtime& runtime;
        decltype(in_flight) value;
        ~Restore() { runtime.deferred_in_flight().store(value); }
    } restore{*world.runtime, in_flight};
    auto status = adapters::HandleRequest(*world.runtime, request, response, {"10.0.0.7"},
                                          /*may_refresh_keys=*/true, &deferred);
    if (status == adapters::HandleStatus::kNeedsKeyRefresh) {
        response = adapters::Response();
        status = adapters::HandleRequest(*world.runtime, request, response, {"10.0.0.7"},
                                         /*may_refresh_keys=*/false, &deferred);
        FUZZ_REQUIRE("handler-refresh", status != adapters::HandleStatus::kNeedsKeyRefresh, raw);
    }
    if (status == adapters::HandleStatus::kDeferred) {
        FUZZ_REQUIRE("handler-deferred", static_cast<bool>(deferred), raw);
        return 0;
    }

    const unsigned code = response.result_int();
    const bool known_status = code == 200 || code == 302 || code == 400 || code == 401 ||
                              code == 403 || code == 404 || code == 405 || code == 500 ||
                              code == 503;
    FUZZ_REQUIRE("handler-status", known_status, raw);
    for (const auto& field : response) {
        FUZZ_REQUIRE("handler-header-injection",
                     HeaderValueSafe(field.name_string()) && HeaderValueSafe(field.value()), raw);
    }

    const std::string_view target = request.target();
    const std::string_view path = target.substr(0, target.find('?'));
    const bool auth = path == "/auth" || path == "/stepgate/auth";
    if (auth) FUZZ_REQUIRE("handler-auth-no-redirect", code != 302, raw);

    if (code == 302) {
        const std::string_view location = response[bhttp::field::location];
        const auto separator = location.find("://");
        FUZZ_REQUIRE("handler-redirect", separator != std::string_view::npos, raw);
        const std::string_view rest = location.substr(separator + 3);
        const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
        auto host = policy::NormalizeHost(authority);
        const bool to_provider = location.rfind("https://idp.example.com/", 0) == 0;
        FUZZ_REQUIRE("handler-redirect",
                     to_provider || (host && policy::HostAllowed(*host, world.redirect)), raw);
    }

    if (auth && code == 200) {
        const std::string_view query = target.find('?') == std::string_view::npos
                                           ? std::string_view()
                                           : target.substr(target.find('?'));
        const auto& policy = fuzz::Config()->policy;
        auto facts = adapters::ReadFacts(adapters::Endpoint::kAuth, request, query, policy);
        FUZZ_REQUIRE("handler-allow", facts.has_value(), raw);
        const core::Requirement* requirement = &policy.default_requirement;
        if (facts->pins) {
            requirement = &facts->pins->requirement;
        } else if (const auto* rule = policy.Match(facts->target.host,
                                                   facts->target.path.match_path, facts->method)) {
            requirement = &rule->require;
        }
        FUZZ_REQUIRE("handler-allow",
                     requirement->AllowsAnonymous() || ValidCredential(request, *facts), raw);
    }
    return 0;
}
