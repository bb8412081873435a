// JSON parsing for JOSE objects: one pass, no exceptions, duplicate member names refused.
// RFC 7515 §5.2 and RFC 7519 §7.2 require a JOSE header / claims set with duplicate names to
// be rejected (or only the last used); nlohmann keeps the last silently, and two parsers
// disagreeing on which duplicate wins is an attack (RFC 8725 §2.8), so refuse them.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace stepgate::jose::detail {

// Nesting deeper than this is refused (JOSE objects are shallow; this bounds work and memory).
inline constexpr std::size_t kMaxJsonDepth = 64;

// The parsed document, or nullopt when `text` is not valid UTF-8 JSON, has a duplicate member
// name in any object, or nests deeper than kMaxJsonDepth. Never throws.
std::optional<nlohmann::json> ParseStrictJson(std::string_view text) noexcept;

// The same, also refusing anything that is not a JSON object at the top.
std::optional<nlohmann::json> ParseStrictJsonObject(std::string_view text) noexcept;

}  // namespace stepgate::jose::detail
