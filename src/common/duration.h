// Durations as the config and the pins spell them: `30s`, `15m`, `12h`, `7d`, or seconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace stepgate {

// Up to ten years; nullopt on anything else (negative, empty, overflow, unknown unit).
std::optional<std::int64_t> ParseDurationSeconds(std::string_view text);

}  // namespace stepgate
