// Rule matching and URL normalization: what every /auth request does before any credential.
#include <benchmark/benchmark.h>

#include <stdexcept>

#include "bench_support.h"
#include "config/config.h"
#include "policy/policy.h"
#include "policy/url.h"

namespace stepgate::bench {
namespace {

const config::Config& BenchConfig() {
    static const std::shared_ptr<const config::Config> config = [] {
        auto loaded = config::LoadConfigText(kBenchConfig, "bench.yaml");
        if (!loaded) throw std::runtime_error("bench config does not load");
        return *loaded;
    }();
    return *config;
}

void BM_NormalizePath(benchmark::State& state, const char* path) {
    for (auto _ : state) {
        auto normalized = policy::NormalizePath(path, false);
        benchmark::DoNotOptimize(normalized);
    }
}
BENCHMARK_CAPTURE(BM_NormalizePath, short, "/account/page");
BENCHMARK_CAPTURE(BM_NormalizePath, escaped_params,
                  "/api/v1/users/%E2%9C%93/profile;jsessionid=abc//settings/notifications");
BENCHMARK_CAPTURE(BM_NormalizePath, long_200_bytes,
                  "/static/assets/vendor/some-library/dist/esm/components/forms/inputs/"
                  "date-picker/locales/en-GB/calendar/month-view/day-cell/styles/theme/"
                  "dark/high-contrast/variant-b/index.min.js");

void BM_ParseAbsoluteUrl(benchmark::State& state) {
    for (auto _ : state) {
        auto url = policy::ParseAbsoluteUrl(
            "https://shop.example.com/api/payments/orders/12345?expand=items&currency=EUR", false);
        benchmark::DoNotOptimize(url);
    }
}
BENCHMARK(BM_ParseAbsoluteUrl);

void BM_Match(benchmark::State& state, const char* host, const char* path, const char* method) {
    const policy::Policy& policy = BenchConfig().policy;
    for (auto _ : state) {
        const policy::Rule* rule = policy.Match(host, path, method);
        benchmark::DoNotOptimize(rule);
    }
}
// First rule (host + path + method).
BENCHMARK_CAPTURE(BM_Match, first_rule, "shop.example.com", "/checkout/pay", "POST");
// A rule in the middle, found after host, path and method misses on the rules before it.
BENCHMARK_CAPTURE(BM_Match, glob_segment, "app.example.com", "/api/exports/2026.csv", "GET");
BENCHMARK_CAPTURE(BM_Match, public_last, "app.example.com", "/static/app.js", "GET");
// Nothing matches: every rule is tried, then the default applies.
BENCHMARK_CAPTURE(BM_Match, default_no_match, "app.example.com", "/account/settings/profile",
                  "GET");

}  // namespace
}  // namespace stepgate::bench
