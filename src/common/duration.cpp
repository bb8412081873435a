#include "common/duration.h"

namespace stepgate {

std::optional<std::int64_t> ParseDurationSeconds(std::string_view text) {
    constexpr std::int64_t kMaxSeconds = 10LL * 366 * 24 * 3600;
    if (text.empty()) return std::nullopt;
    std::int64_t unit = 1;
    switch (text.back()) {
        case 's':
            unit = 1;
            text.remove_suffix(1);
            break;
        case 'm':
            unit = 60;
            text.remove_suffix(1);
            break;
        case 'h':
            unit = 3600;
            text.remove_suffix(1);
            break;
        case 'd':
            unit = 86400;
            text.remove_suffix(1);
            break;
        default:
            break;
    }
    if (text.empty() || text.size() > 12) return std::nullopt;
    std::int64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    if (value > kMaxSeconds / unit) return std::nullopt;
    return value * unit;
}

}  // namespace stepgate
