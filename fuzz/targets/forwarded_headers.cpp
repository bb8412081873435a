// adapters::ReadFacts: which request a proxy is asking about, for each endpoint (/auth reads
// X-Original-*, /forward-auth X-Forwarded-*, /ext-authz/ and /ext-authz-pinned/ the request
// line and Host), plus ClientAddress (X-Forwarded-For / X-Real-IP behind trusted proxies).
// Input: see common/http_input.h (a request line, then header lines), parsed by Beast.
// The inner target handed to ReadFacts is derived from the request target the way the
// router does: its query for /auth and /forward-auth, the target itself for /ext-authz/,
// the target without its leading '/' for /ext-authz-pinned/.
//
// Properties of facts read: the method is an HTTP token; host and path are normalized
// (common/url_checks.h); /auth's facts are exactly ParseAbsoluteUrl(X-Original-URL);
// a bearer token never has surrounding spaces; a refusal is one of the documented ones.
// ClientAddress returns the peer, or one address taken from X-Forwarded-For or X-Real-IP.
#include <arpa/inet.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/client_address.h"
#include "adapters/request_facts.h"
#include "common/fuzz_support.h"
#include "common/http_input.h"
#include "common/known.h"
#include "common/url_checks.h"

using namespace stepgate;

namespace {

bool IsAddress(const std::string& text) {
    unsigned char bytes[16];
    return inet_pton(AF_INET, text.c_str(), bytes) == 1 ||
           inet_pton(AF_INET6, text.c_str(), bytes) == 1;
}

int CheckFacts(const adapters::RequestFacts& facts, const adapters::Request& request,
               bool case_insensitive, std::string_view input) {
    FUZZ_REQUIRE("facts-method", !facts.method.empty() && facts.method.size() <= 32, input);
    for (char c : facts.method) {
        FUZZ_REQUIRE("facts-method",
                     c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != ',' && c != '/' &&
                         c != ':' && c != ';' && c != '"',
                     input);
    }
    FUZZ_REQUIRE_NONE(fuzz::HostViolation(facts.target.host), input);
    FUZZ_REQUIRE_NONE(fuzz::PathViolation(facts.target.path, case_insensitive), input);
    if (facts.has_bearer && !facts.bearer_token.empty()) {
        FUZZ_REQUIRE("facts-bearer",
                     facts.bearer_token.front() != ' ' && facts.bearer_token.back() != ' ', input);
    }
    if (facts.endpoint == adapters::Endpoint::kAuth) {
        auto url = policy::ParseAbsoluteUrl(request["X-Original-URL"], case_insensitive);
        FUZZ_REQUIRE("facts-auth",
                     url && url->host == facts.target.host &&
                         url->path.match_path == facts.target.path.match_path,
                     input);
        // Methods are matched upper-cased (RFC 9110 §9.1 makes them case-sensitive, but rules
        // name them in upper case and proxies differ).
        std::string method(request["X-Original-Method"]);
        for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        FUZZ_REQUIRE("facts-auth", facts.method == method, input);
    }
    return 0;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)fuzz::Config(false);
    (void)fuzz::Config(true);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto http = fuzz::ParseHttpInput(input);
    if (!http) return 0;
    const adapters::Request& request = http->request;
    const std::string_view target = request.target();
    const auto question = target.find('?');
    const std::string_view query =
        question == std::string_view::npos ? std::string_view() : target.substr(question);

    struct Case {
        adapters::Endpoint endpoint;
        std::string_view inner_target;
    };
    const Case cases[] = {
        {adapters::Endpoint::kAuth, query},
        {adapters::Endpoint::kForwardAuth, query},
        {adapters::Endpoint::kExtAuthz, target},
        {adapters::Endpoint::kExtAuthzPinned,
         !target.empty() && target.front() == '/' ? target.substr(1) : target},
    };
    for (bool ci : {false, true}) {
        const policy::Policy& policy = fuzz::Config(ci)->policy;
        for (const Case& c : cases) {
            auto facts = adapters::ReadFacts(c.endpoint, request, c.inner_target, policy);
            if (facts) {
                if (CheckFacts(*facts, request, ci, input) != 0) return -1;
            } else {
                (void)facts.error().Describe();
            }
        }
    }
    if (auto bearer = adapters::BearerToken(request["Authorization"])) {
        FUZZ_REQUIRE("facts-bearer",
                     bearer->empty() || (bearer->front() != ' ' && bearer->back() != ' '), input);
    }

    const auto& trusted = fuzz::Config()->trusted_proxies;
    for (std::string_view peer : {"10.1.2.3", "203.0.113.9", "::1"}) {
        const std::string client = adapters::ClientAddress(request, peer, trusted);
        FUZZ_REQUIRE("client-address", client == peer || IsAddress(client), input);
    }
    return 0;
}
