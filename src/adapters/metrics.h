// Counters for /metrics (Prometheus text exposition format). Lock-free on the request path.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/decide.h"

namespace stepgate::oidc {
struct ProviderStats;
}

namespace stepgate::adapters {

inline constexpr std::size_t kOutcomes = 6;

struct OutcomeCounters {
    std::array<std::atomic<std::uint64_t>, kOutcomes> by_outcome{};
};

// Decision latency buckets, in seconds (Prometheus histogram `le` bounds).
inline constexpr std::array<double, 10> kLatencyBuckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                                           0.0025,  0.005,  0.01,    0.05,   0.25};

struct Metrics {
    std::array<std::atomic<std::uint64_t>, kOutcomes> decisions{};
    std::atomic<std::uint64_t> bad_requests{0};
    std::atomic<std::uint64_t> misconfigured{0};
    std::atomic<std::uint64_t> internal_errors{0};
    std::atomic<std::uint64_t> not_ready{0};
    std::atomic<std::uint64_t> denial_logs_suppressed{0};
    std::atomic<std::uint64_t> stepups_started{0};
    std::atomic<std::uint64_t> stepups_completed{0};
    std::atomic<std::uint64_t> stepups_failed{0};
    std::atomic<std::uint64_t> sessions_issued{0};
    std::atomic<std::uint64_t> sessions_refreshed{0};
    std::atomic<std::uint64_t> config_reloads_ok{0};
    std::atomic<std::uint64_t> config_reloads_failed{0};

    std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> latency_buckets{};
    std::atomic<std::uint64_t> latency_count{0};
    std::atomic<std::uint64_t> latency_sum_ns{0};

    void CountDecision(core::Outcome outcome, OutcomeCounters* rule) {
        decisions[static_cast<std::size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
        if (rule != nullptr) {
            rule->by_outcome[static_cast<std::size_t>(outcome)].fetch_add(
                1, std::memory_order_relaxed);
        }
    }
    void ObserveLatency(std::chrono::nanoseconds elapsed);
    // Rare (a callback that granted nothing): a lock is fine.
    void CountStepUpFailure(std::string_view reason);

    // The counters of a rule name: created once, kept for the process's life (rule names are
    // the operator's, so their number is bounded), stable in address. Locks: call it when a
    // snapshot is installed, not per request.
    OutcomeCounters* ForRule(std::string_view name);

    std::string Render(const oidc::ProviderStats* provider) const;

 private:
    mutable std::mutex failures_mutex_;
    std::map<std::string, std::uint64_t, std::less<>> stepup_failures_;
    mutable std::mutex rules_mutex_;
    std::map<std::string, std::unique_ptr<OutcomeCounters>, std::less<>> by_rule_;
};

}  // namespace stepgate::adapters
