#include "adapters/metrics.h"

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
    Counter(out, "stepgate_stepups_failed_total", "Callbacks that granted nothing.",
            stepups_failed.load(std::memory_order_relaxed));
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
