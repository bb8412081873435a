// The whole adapters::HandleRequest, without sockets (as test/unit/adapters/handler_test.cpp
// builds its Runtime): what one /auth decision costs on the event loop, per credential kind.
// BM_HttpRoundTrip adds Beast's parse of the request bytes and the serialization of the answer.
#include <benchmark/benchmark.h>

#include <boost/asio/buffer.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/handler.h"
#include "adapters/token_cache.h"
#include "bench_support.h"
#include "http/request_parser.h"
#include "http/response_writer.h"
#include "jose/jwk.h"
#include "observability/log.h"
#include "session/session.h"

namespace stepgate::bench {
namespace {

namespace bhttp = boost::beast::http;

class StaticKeys final : public adapters::KeySource {
 public:
    explicit StaticKeys(std::shared_ptr<const jose::KeySet> keys) : keys_(std::move(keys)) {}
    std::shared_ptr<const jose::KeySet> Keys() const override { return keys_; }

 private:
    std::shared_ptr<const jose::KeySet> keys_;
};

struct Fixture {
    FixedClock clock{kBenchNow};
    std::unique_ptr<StaticKeys> keys;
    std::unique_ptr<adapters::Runtime> runtime;
    std::string session_cookie;

    Fixture() {
        observability::SetLogLevel(observability::LogLevel::kOff);
        auto config = config::LoadConfigText(kBenchConfig, "bench.yaml");
        if (!config) throw std::runtime_error("bench config");
        auto set = jose::KeySet::Parse(BenchJwks());
        if (!set) throw std::runtime_error("bench JWKS");
        keys = std::make_unique<StaticKeys>(std::make_shared<const jose::KeySet>(std::move(*set)));
        auto snapshot = adapters::Snapshot::Build(*config);
        if (!snapshot) throw std::runtime_error("snapshot");
        session::SessionData data;
        data.id = session::NewSessionId();
        data.identity.kind = core::CredentialKind::kSession;
        data.identity.subject = "alice";
        data.identity.issuer = kBenchIssuer;
        data.identity.email = "alice@example.com";
        data.identity.preferred_username = "alice";
        data.identity.acr = "urn:stepgate:loa:pwd";
        data.identity.amr = {"pwd"};
        data.identity.groups = {"staff", "ops"};
        data.identity.auth_time = kBenchNow - 10;
        data.identity.expires_at = kBenchNow + 12 * 3600;
        data.issued_at = kBenchNow;
        data.expires_at = kBenchNow + 12 * 3600;
        session_cookie = "_stepgate=" + (*snapshot)->session_sealer->Seal(
                                            session::EncodeSession(data), "_stepgate");
        runtime = std::make_unique<adapters::Runtime>(*snapshot, *keys, clock);
    }
};

Fixture& GetFixture() {
    static Fixture fixture;
    return fixture;
}

adapters::Request AuthRequest(const std::string& url, const std::string& authorization,
                              const std::string& cookie) {
    adapters::Request request{bhttp::verb::get, "/auth", 11};
    request.set(bhttp::field::host, "stepgate.auth.svc:4180");
    request.set("X-Original-URL", url);
    request.set("X-Original-Method", "GET");
    if (!authorization.empty()) request.set(bhttp::field::authorization, authorization);
    if (!cookie.empty()) request.set(bhttp::field::cookie, cookie);
    return request;
}

enum class Credential { kAnonymous, kBearerRs256, kBearerEs256, kSession, kInvalidToken };

adapters::Request RequestFor(Credential credential, const std::string& url) {
    Fixture& f = GetFixture();
    switch (credential) {
        case Credential::kAnonymous:
            return AuthRequest(url, "", "");
        case Credential::kBearerRs256:
            return AuthRequest(
                url,
                "Bearer " + SignJwt(jose::Algorithm::kRS256, UserClaims(kBenchNow, kBenchIssuer)),
                "");
        case Credential::kBearerEs256:
            return AuthRequest(
                url,
                "Bearer " + SignJwt(jose::Algorithm::kES256, UserClaims(kBenchNow, kBenchIssuer)),
                "");
        case Credential::kSession:
            return AuthRequest(url, "", f.session_cookie);
        case Credential::kInvalidToken: {
            std::string token =
                SignJwt(jose::Algorithm::kRS256, UserClaims(kBenchNow, kBenchIssuer));
            char& c = token[token.size() - 10];
            c = c == 'A' ? 'B' : 'A';
            return AuthRequest(url, "Bearer " + token, "");
        }
    }
    return AuthRequest(url, "", "");
}

void BM_HandleRequest(benchmark::State& state, Credential credential, const char* url,
                      unsigned expected) {
    Fixture& f = GetFixture();
    const adapters::Request request = RequestFor(credential, url);
    const adapters::ConnectionInfo connection{"127.0.0.1"};
    {
        adapters::Response response;
        adapters::HandleRequest(*f.runtime, request, response, connection, false);
        if (response.result_int() != expected)
            throw std::runtime_error("unexpected status " + std::to_string(response.result_int()));
    }
    for (auto _ : state) {
        adapters::Response response;
        adapters::HandleRequest(*f.runtime, request, response, connection, false);
        benchmark::DoNotOptimize(response);
    }
}
// A bearer token seen before (the verified-token cache of this thread hits).
BENCHMARK_CAPTURE(BM_HandleRequest, bearer_rs256_cached, Credential::kBearerRs256,
                  "https://app.example.com/account/page", 200);
BENCHMARK_CAPTURE(BM_HandleRequest, bearer_es256_cached, Credential::kBearerEs256,
                  "https://app.example.com/account/page", 200);
BENCHMARK_CAPTURE(BM_HandleRequest, anonymous_public, Credential::kAnonymous,
                  "https://app.example.com/public/page", 200);
BENCHMARK_CAPTURE(BM_HandleRequest, session_cookie, Credential::kSession,
                  "https://app.example.com/account/page", 200);
// The RFC 9470 401: a cached basic token on an mfa rule.
BENCHMARK_CAPTURE(BM_HandleRequest, insufficient_level, Credential::kBearerRs256,
                  "https://app.example.com/settings/security/keys", 401);
// Never cached: the full RSA verify each time, then the 401 invalid_token (logging off).
BENCHMARK_CAPTURE(BM_HandleRequest, invalid_token, Credential::kInvalidToken,
                  "https://app.example.com/account/page", 401);

// A flood of distinct valid RS256 tokens on a loop whose verified-token cache is already full:
// each request is a cache miss, a signature check and a refusal at the doorkeeper, the steady
// state of the end-to-end flood. Each run starts a new Runtime (a new snapshot empties the
// thread's cache), fills the cache with 8192 ES256 tokens (quick to sign), then times 4096 RS256
// tokens, each seen once. Signing them takes a few seconds at the first run.
std::vector<adapters::Request> SignedRequests(jose::Algorithm algorithm, int count,
                                              const char* prefix) {
    std::vector<adapters::Request> made;
    made.reserve(count);
    for (int i = 0; i < count; ++i) {
        made.push_back(AuthRequest(
            "https://app.example.com/account/page",
            "Bearer " +
                SignJwt(algorithm, UserClaims(kBenchNow, kBenchIssuer, prefix + std::to_string(i))),
            ""));
    }
    return made;
}

constexpr int kFloodRequests = 4096;

void BM_HandleRequestFlood(benchmark::State& state) {
    Fixture& f = GetFixture();
    static const std::vector<adapters::Request> fill = SignedRequests(
        jose::Algorithm::kES256, static_cast<int>(adapters::kTokenCacheEntriesPerLoop), "fill-");
    static const std::vector<adapters::Request> flood =
        SignedRequests(jose::Algorithm::kRS256, kFloodRequests, "flood-");
    auto config = config::LoadConfigText(kBenchConfig, "bench.yaml");
    if (!config) throw std::runtime_error("bench config");
    auto snapshot = adapters::Snapshot::Build(*config);
    if (!snapshot) throw std::runtime_error("snapshot");
    adapters::Runtime runtime(*snapshot, *f.keys, f.clock);
    const adapters::ConnectionInfo connection{"127.0.0.1"};
    adapters::Response response;
    for (const adapters::Request& request : fill) {
        response.Clear();
        adapters::HandleRequest(runtime, request, response, connection, false);
    }
    std::size_t next = 0;
    for (auto _ : state) {
        response.Clear();
        adapters::HandleRequest(runtime, flood[next++], response, connection, false);
        benchmark::DoNotOptimize(response);
    }
    if (response.result_int() != 200) state.SkipWithError("flood request not allowed");
}
BENCHMARK(BM_HandleRequestFlood)->Iterations(kFloodRequests);

// Bytes in, bytes out: the server's request parser on the request as nginx sends it,
// HandleRequest, and the response writer, for a cached bearer token. The rest of a request's cost
// is the event loop and the system calls.
void BM_HttpRoundTrip(benchmark::State& state) {
    Fixture& f = GetFixture();
    const std::string token = SignJwt(jose::Algorithm::kRS256, UserClaims(kBenchNow, kBenchIssuer));
    const std::string wire =
        "GET /auth HTTP/1.1\r\nHost: 127.0.0.1:4180\r\n"
        "X-Original-URL: http://app.example.com/account/page\r\n"
        "X-Original-Method: GET\r\nX-Real-IP: 127.0.0.1\r\n"
        "Authorization: Bearer " +
        token + "\r\nConnection: keep-alive\r\n\r\n";
    const adapters::ConnectionInfo connection{"127.0.0.1"};
    std::string out;
    out.reserve(4096);
    // Reused across requests, as a connection reuses them.
    adapters::Request request;
    adapters::Response response;
    for (auto _ : state) {
        http::RequestParser parser(request);
        parser.header_limit(32 * 1024);
        boost::beast::error_code ec;
        parser.eager(true);
        parser.put(boost::asio::buffer(wire), ec);
        if (ec || !parser.is_done()) throw std::runtime_error("parse");
        response.Clear();
        adapters::HandleRequest(*f.runtime, request, response, connection, false);
        http::WriteResponse(response, response.keep_alive(), out);
        benchmark::DoNotOptimize(out);
    }
}
BENCHMARK(BM_HttpRoundTrip);

}  // namespace
}  // namespace stepgate::bench
