// Cookie headers: reading them (RFC 6265 §5.4) with hard limits, and writing Set-Cookie with
// the attributes the contract fixes (HttpOnly, SameSite=Lax, Secure unless configured off).
// Large values are split across numbered cookies: `_stepgate_0`, `_stepgate_1`, ...
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stepgate::session {

inline constexpr std::size_t kMaxCookies = 64;    // pairs read from one Cookie header
inline constexpr std::size_t kMaxChunks = 8;      // numbered cookies for one value
inline constexpr std::size_t kChunkBytes = 3800;  // stays below browsers' 4096 per cookie
inline constexpr std::size_t kMaxValueBytes = kMaxChunks * kChunkBytes;

using CookiePairs = std::vector<std::pair<std::string_view, std::string_view>>;

// Splits a Cookie header into name/value pairs (first kMaxCookies only). Pairs without '='
// are skipped; values keep their bytes (quotes stripped).
CookiePairs ParseCookieHeader(std::string_view header);

// The value of `name`, or of `name_0`, `name_1`, ... joined. nullopt when absent, when a
// name appears twice, or when chunks are missing, too many, or too large.
std::optional<std::string> ReadCookie(const CookiePairs& cookies, std::string_view name);

// Whether any cookie of the family (name or name_N) is present.
bool HasCookieFamily(const CookiePairs& cookies, std::string_view name);

struct CookieAttributes {
    std::string path = "/";
    std::string domain;  // empty: host-only
    bool secure = true;
    std::int64_t max_age = -1;  // -1: a session cookie (no Max-Age)
};

std::string SetCookieHeader(std::string_view name, std::string_view value,
                            const CookieAttributes& attributes);
std::string ClearCookieHeader(std::string_view name, const CookieAttributes& attributes);

// Set-Cookie headers that store `value` under `name` (split when large) and clear the family
// members the request carried that the new value does not use. Empty when too large.
std::vector<std::string> WriteCookieFamily(std::string_view name, std::string_view value,
                                           const CookieAttributes& attributes,
                                           const CookiePairs& request_cookies);
// Set-Cookie headers that clear every member of the family the request carried (and `name`).
std::vector<std::string> ClearCookieFamily(std::string_view name,
                                           const CookieAttributes& attributes,
                                           const CookiePairs& request_cookies);

}  // namespace stepgate::session
