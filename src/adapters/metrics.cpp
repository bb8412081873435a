#include "adapters/metrics.h"

#include <cstdio>

#include "oidc/provider.h"

namespace stepgate::adapters {

namespace {
void Counter(std::string& out, const char* name, const char* help, std::uint64_t value) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += " counter\n";
    out += name;
    out += ' ';
    out += std::to_string(value);
    out += '\n';
}
}  // namespace

void Metrics::ObserveLatency(std::chrono::nanoseconds elapsed) {
    const double seconds = static_cast<double>(elapsed.count()) / 1e9;
    std::size_t bucket = 0;
    while (bucket < kLatencyBuckets.size() && seconds > kLatencyBuckets[bucket]) ++bucket;
    latency_buckets[bucket].fetch_add(1, std::memory_order_relaxed);
    latency_count.fetch_add(1, std::memory_order_relaxed);
    latency_sum_ns.fetch_add(static_cast<std::uint64_t>(elapsed.count()),
                             std::memory_order_relaxed);
}

void Metrics::CountStepUpFailure(std::string_view reason) {
    stepups_failed.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(failures_mutex_);
    auto it = stepup_failures_.find(reason);
    if (it == stepup_failures_.end()) it = stepup_failures_.emplace(std::string(reason), 0).first;
    ++it->second;
}

OutcomeCounters* Metrics::ForRule(std::string_view name) {
    std::lock_guard lock(rules_mutex_);
    auto it = by_rule_.find(name);
    if (it == by_rule_.end())
        it = by_rule_.emplace(std::string(name), std::make_unique<OutcomeCounters>()).first;
    return it->second.get();
}

std::string Metrics::Render(const oidc::ProviderStats* provider) const {
    std::string out;
    out += "# HELP stepgate_decisions_total Decisions by outcome.\n";
    out += "# TYPE stepgate_decisions_total counter\n";
    for (std::size_t i = 0; i < kOutcomes; ++i) {
        out += "stepgate_decisions_total{outcome=\"";
        out += core::Describe(static_cast<core::Outcome>(i));
        out += "\"} ";
        out += std::to_string(decisions[i].load(std::memory_order_relaxed));
        out += '\n';
    }
    out += "# HELP stepgate_rule_decisions_total Decisions by rule and outcome.\n";
    out += "# TYPE stepgate_rule_decisions_total counter\n";
    {
        std::lock_guard lock(rules_mutex_);
        for (const auto& [name, counters] : by_rule_) {
            for (std::size_t i = 0; i < kOutcomes; ++i) {
                const auto value = counters->by_outcome[i].load(std::memory_order_relaxed);
                if (value == 0) continue;
                out += "stepgate_rule_decisions_total{rule=\"" + name + "\",outcome=\"";
                out += core::Describe(static_cast<core::Outcome>(i));
                out += "\"} " + std::to_string(value) + "\n";
            }
        }
    }
    out +=
        "# HELP stepgate_decision_duration_seconds Time to decide, from parsed request to "
        "answer.\n";
    out += "# TYPE stepgate_decision_duration_seconds histogram\n";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= kLatencyBuckets.size(); ++i) {
        cumulative += latency_buckets[i].load(std::memory_order_relaxed);
        char bound[32];
        if (i < kLatencyBuckets.size()) {
            std::snprintf(bound, sizeof bound, "%g", kLatencyBuckets[i]);
        } else {
            std::snprintf(bound, sizeof bound, "+Inf");
        }
        out += "stepgate_decision_duration_seconds_bucket{le=\"" + std::string(bound) + "\"} " +
               std::to_string(cumulative) + "\n";
    }
    char sum[48];
    std::snprintf(sum, sizeof sum, "%.9f",
                  static_cast<double>(latency_sum_ns.load(std::memory_order_relaxed)) / 1e9);
    out += "stepgate_decision_duration_seconds_sum " + std::string(sum) + "\n";
    out += "stepgate_decision_duration_seconds_count " +
           std::to_string(latency_count.load(std::memory_order_relaxed)) + "\n";
    Counter(out, "stepgate_bad_requests_total", "Requests refused with 400 before deciding.",
            bad_requests.load(std::memory_order_relaxed));
    Counter(out, "stepgate_misconfigured_total", "Requests refused with 500 for bad pins.",
            misconfigured.load(std::memory_order_relaxed));
    Counter(out, "stepgate_internal_errors_total", "Requests denied by an internal failure.",
            internal_errors.load(std::memory_order_relaxed));
    Counter(out, "stepgate_not_ready_total", "Requests refused while no provider keys were loaded.",
            not_ready.load(std::memory_order_relaxed));
    Counter(out, "stepgate_denial_logs_suppressed_total",
            "Denial log lines dropped by rate limiting.",
            denial_logs_suppressed.load(std::memory_order_relaxed));
    Counter(out, "stepgate_stepups_started_total", "Logins and step-ups sent to the provider.",
            stepups_started.load(std::memory_order_relaxed));
    Counter(out, "stepgate_stepups_completed_total", "Logins and step-ups that ended in a session.",
            stepups_completed.load(std::memory_order_relaxed));
    out += "# HELP stepgate_stepups_failed_total Callbacks that granted nothing, by reason.\n";
    out += "# TYPE stepgate_stepups_failed_total counter\n";
    {
        std::lock_guard lock(failures_mutex_);
        for (const auto& [reason, count] : stepup_failures_) {
            out += "stepgate_stepups_failed_total{reason=\"" + reason + "\"} " +
                   std::to_string(count) + "\n";
        }
    }
    Counter(out, "stepgate_sessions_issued_total", "Session cookies issued at login or step-up.",
            sessions_issued.load(std::memory_order_relaxed));
    Counter(out, "stepgate_sessions_refreshed_total", "Sessions slid forward on a decision.",
            sessions_refreshed.load(std::memory_order_relaxed));
    Counter(out, "stepgate_config_reloads_total", "Configurations reloaded and in force.",
            config_reloads_ok.load(std::memory_order_relaxed));
    Counter(out, "stepgate_config_reload_failures_total",
            "Reloads refused (the old config kept serving).",
            config_reloads_failed.load(std::memory_order_relaxed));
    if (provider != nullptr) {
        Counter(out, "stepgate_jwks_refresh_total", "Successful JWKS refreshes.",
                provider->jwks_refresh_ok.load(std::memory_order_relaxed));
        Counter(out, "stepgate_jwks_refresh_failures_total", "Failed JWKS refreshes.",
                provider->jwks_refresh_failed.load(std::memory_order_relaxed));
        Counter(out, "stepgate_jwks_refresh_throttled_total",
                "Unknown-kid refreshes skipped by the throttle.",
                provider->jwks_refresh_throttled.load(std::memory_order_relaxed));
    }
    return out;
}

}  // namespace stepgate::adapters
