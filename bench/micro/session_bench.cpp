// Cookie unseal: what a browser request with a session costs (AES-256-GCM + JSON decode).
#include <benchmark/benchmark.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "bench_support.h"
#include "session/sealer.h"
#include "session/session.h"

namespace stepgate::bench {
namespace {

session::Sealer MakeSealer() {
    std::vector<Secret> secrets;
    secrets.emplace_back(std::string(32, 'k'));
    auto sealer = session::Sealer::Create(secrets, "session");
    if (!sealer) throw std::runtime_error("sealer");
    return std::move(*sealer);
}

session::SessionData MakeSession() {
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
    data.identity.expires_at = kBenchNow + 3600;
    data.issued_at = kBenchNow;
    data.expires_at = kBenchNow + 12 * 3600;
    return data;
}

void BM_Seal(benchmark::State& state) {
    const session::Sealer sealer = MakeSealer();
    const std::string plaintext = session::EncodeSession(MakeSession());
    for (auto _ : state) {
        std::string sealed = sealer.Seal(plaintext, "_stepgate");
        benchmark::DoNotOptimize(sealed);
    }
}
BENCHMARK(BM_Seal);

void BM_Unseal(benchmark::State& state) {
    const session::Sealer sealer = MakeSealer();
    const std::string sealed = sealer.Seal(session::EncodeSession(MakeSession()), "_stepgate");
    for (auto _ : state) {
        auto plaintext = sealer.Unseal(sealed, "_stepgate");
        benchmark::DoNotOptimize(plaintext);
    }
    state.counters["cookie_bytes"] = static_cast<double>(sealed.size());
}
BENCHMARK(BM_Unseal);

void BM_DecodeSession(benchmark::State& state) {
    const std::string json = session::EncodeSession(MakeSession());
    for (auto _ : state) {
        auto data = session::DecodeSession(json);
        benchmark::DoNotOptimize(data);
    }
}
BENCHMARK(BM_DecodeSession);

// Unseal + decode + expiry: the whole of reading a session cookie.
void BM_OpenSession(benchmark::State& state) {
    const session::Sealer sealer = MakeSealer();
    const std::string sealed = sealer.Seal(session::EncodeSession(MakeSession()), "_stepgate");
    if (!session::OpenSession(sealer, sealed, "_stepgate", kBenchNow))
        throw std::runtime_error("session does not open");
    for (auto _ : state) {
        auto data = session::OpenSession(sealer, sealed, "_stepgate", kBenchNow);
        benchmark::DoNotOptimize(data);
    }
}
BENCHMARK(BM_OpenSession);

}  // namespace
}  // namespace stepgate::bench
