// Token parse + verify: what a bearer token costs when it is not in the verified-token cache.
#include <benchmark/benchmark.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "bench_support.h"
#include "jose/jwk.h"
#include "jose/jwt.h"

namespace stepgate::bench {
namespace {

const jose::KeySet& BenchKeySet() {
    static const jose::KeySet keys = [] {
        auto parsed = jose::KeySet::Parse(BenchJwks());
        if (!parsed || parsed->size() != 2) throw std::runtime_error("bench JWKS does not parse");
        return std::move(*parsed);
    }();
    return keys;
}

jose::VerifyOptions Options() {
    jose::VerifyOptions options;
    options.issuer = kBenchIssuer;
    options.audiences = {"stepgate-api"};
    return options;
}

void BM_VerifyJwt(benchmark::State& state, jose::Algorithm algorithm) {
    const std::string token = SignJwt(algorithm, UserClaims(kBenchNow, kBenchIssuer));
    const jose::KeySet& keys = BenchKeySet();
    const jose::VerifyOptions options = Options();
    if (!jose::VerifyJwt(token, keys, options, kBenchNow)) throw std::runtime_error("no verify");
    for (auto _ : state) {
        auto identity = jose::VerifyJwt(token, keys, options, kBenchNow);
        benchmark::DoNotOptimize(identity);
    }
}
BENCHMARK_CAPTURE(BM_VerifyJwt, RS256, jose::Algorithm::kRS256);
BENCHMARK_CAPTURE(BM_VerifyJwt, ES256, jose::Algorithm::kES256);

// A tampered signature: parse, key lookup and the full RSA verify, then the refusal (what each
// request of an invalid-token flood costs; refusals are never cached).
void BM_VerifyJwtBadSignature(benchmark::State& state) {
    std::string token = SignJwt(jose::Algorithm::kRS256, UserClaims(kBenchNow, kBenchIssuer));
    char& c = token[token.size() - 10];
    c = c == 'A' ? 'B' : 'A';
    const jose::KeySet& keys = BenchKeySet();
    const jose::VerifyOptions options = Options();
    for (auto _ : state) {
        auto identity = jose::VerifyJwt(token, keys, options, kBenchNow);
        benchmark::DoNotOptimize(identity);
    }
}
BENCHMARK(BM_VerifyJwtBadSignature);

// An expired token: claims are checked only once the signature has verified, so it costs as
// much as a valid one.
void BM_VerifyJwtExpired(benchmark::State& state) {
    const std::string token =
        SignJwt(jose::Algorithm::kRS256, UserClaims(kBenchNow - 7200, kBenchIssuer));
    const jose::KeySet& keys = BenchKeySet();
    const jose::VerifyOptions options = Options();
    for (auto _ : state) {
        auto identity = jose::VerifyJwt(token, keys, options, kBenchNow);
        benchmark::DoNotOptimize(identity);
    }
}
BENCHMARK(BM_VerifyJwtExpired);

// Claims without signature: the JSON extraction that VerifyJwt does after the signature.
void BM_IdentityFromClaims(benchmark::State& state) {
    const std::string claims = UserClaims(kBenchNow, kBenchIssuer);
    const jose::VerifyOptions options = Options();
    for (auto _ : state) {
        auto identity = jose::IdentityFromClaims(claims, options);
        benchmark::DoNotOptimize(identity);
    }
}
BENCHMARK(BM_IdentityFromClaims);

void BM_KeySetParse(benchmark::State& state) {
    const std::string jwks = BenchJwks();
    for (auto _ : state) {
        auto keys = jose::KeySet::Parse(jwks);
        benchmark::DoNotOptimize(keys);
    }
}
BENCHMARK(BM_KeySetParse);

}  // namespace
}  // namespace stepgate::bench
