// Token parse + verify: what a bearer token costs when it is not in the verified-token cache.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_support.h"
#include "jose/claims_reader.h"
#include "jose/json_lexer.h"
#include "jose/jwk.h"
#include "jose/jwt.h"
#include "jose/strict_json.h"

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

// The parts of IdentityFromClaims: the reader alone; the DOM parse it replaced (still what
// JWKS and discovery documents go through); nlohmann's lexer under a SAX handler that keeps
// nothing (what the reader was built on before); and the reader's own strict JSON reader under
// a handler that keeps nothing, its floor.
void BM_ReadJwtClaims(benchmark::State& state) {
    const std::string claims = UserClaims(kBenchNow, kBenchIssuer);
    const jose::VerifyOptions options = Options();
    for (auto _ : state) {
        auto read = jose::detail::ReadJwtClaims(claims, options.extra_claims);
        benchmark::DoNotOptimize(read);
    }
}
BENCHMARK(BM_ReadJwtClaims);

void BM_StrictJsonDom(benchmark::State& state) {
    const std::string claims = UserClaims(kBenchNow, kBenchIssuer);
    for (auto _ : state) {
        auto parsed = jose::detail::ParseStrictJsonObject(claims);
        benchmark::DoNotOptimize(parsed);
    }
}
BENCHMARK(BM_StrictJsonDom);

struct KeepNothing {
    using Json = nlohmann::json;
    bool null() { return true; }
    bool boolean(bool /*value*/) { return true; }
    bool number_integer(Json::number_integer_t /*value*/) { return true; }
    bool number_unsigned(Json::number_unsigned_t /*value*/) { return true; }
    bool number_float(Json::number_float_t /*value*/, const Json::string_t& /*text*/) {
        return true;
    }
    bool string(Json::string_t& /*value*/) { return true; }
    bool binary(Json::binary_t& /*value*/) { return false; }
    bool start_object(std::size_t /*size*/) { return true; }
    bool end_object() { return true; }
    bool start_array(std::size_t /*size*/) { return true; }
    bool end_array() { return true; }
    bool key(Json::string_t& /*name*/) { return true; }
    bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                     const nlohmann::detail::exception& /*error*/) {
        return false;
    }
};

void BM_JsonLexerOnly(benchmark::State& state) {
    const std::string claims = UserClaims(kBenchNow, kBenchIssuer);
    for (auto _ : state) {
        KeepNothing handler;
        const char* begin = claims.data();
        bool ok = nlohmann::json::sax_parse(begin, begin + claims.size(), &handler,
                                            nlohmann::json::input_format_t::json, true, false);
        benchmark::DoNotOptimize(ok);
    }
}
BENCHMARK(BM_JsonLexerOnly);

struct KeepNothingOwn {
    bool null() { return true; }
    bool boolean(bool /*value*/) { return true; }
    bool number_integer(std::int64_t /*value*/) { return true; }
    bool number_unsigned(std::uint64_t /*value*/) { return true; }
    bool number_float(double /*value*/) { return true; }
    bool string(std::string_view /*value*/) { return true; }
    bool start_object() { return true; }
    bool end_object() { return true; }
    bool start_array() { return true; }
    bool end_array() { return true; }
    bool key(std::string_view /*name*/) { return true; }
};

void BM_OwnJsonLexerOnly(benchmark::State& state) {
    const std::string claims = UserClaims(kBenchNow, kBenchIssuer);
    std::string scratch;
    for (auto _ : state) {
        KeepNothingOwn handler;
        using Reader = jose::detail::StrictJsonReader<jose::detail::kMaxJsonDepth, KeepNothingOwn>;
        bool ok = Reader(claims, handler, scratch).Read();
        benchmark::DoNotOptimize(ok);
    }
}
BENCHMARK(BM_OwnJsonLexerOnly);

// A claims set with many members: the duplicate-name check stays n log n.
void BM_ReadJwtClaimsMembers(benchmark::State& state) {
    nlohmann::json claims = nlohmann::json::parse(UserClaims(kBenchNow, kBenchIssuer));
    for (std::int64_t i = 0; i < state.range(0); ++i) claims["m" + std::to_string(i)] = i;
    const std::string text = claims.dump();
    for (auto _ : state) {
        auto read = jose::detail::ReadJwtClaims(text, {});
        benchmark::DoNotOptimize(read);
    }
}
BENCHMARK(BM_ReadJwtClaimsMembers)->Arg(16)->Arg(256)->Arg(2048);

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
