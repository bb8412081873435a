// Counters for /metrics (Prometheus text exposition format). Lock-free on the request path.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "core/decide.h"

namespace stepgate::oidc {
struct ProviderStats;
}

namespace stepgate::adapters {

struct Metrics {
    static constexpr std::size_t kOutcomes = 6;
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

    void CountDecision(core::Outcome outcome) {
        decisions[static_cast<std::size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
    }
    std::string Render(const oidc::ProviderStats* provider) const;
};

}  // namespace stepgate::adapters
