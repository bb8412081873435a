// base64url without padding (RFC 7515 §2, RFC 4648 §5), strict: no padding, no whitespace,
// no characters outside the alphabet, and the unused trailing bits must be zero (so that a
// value has exactly one spelling).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace stepgate::jose {

std::optional<std::string> Base64UrlDecode(std::string_view input);
// The same into `out` (its capacity reused); false on invalid input, `out` then unspecified.
bool Base64UrlDecodeInto(std::string_view input, std::string& out);
std::string Base64UrlEncode(std::string_view bytes);

}  // namespace stepgate::jose
