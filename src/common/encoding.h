// Small encoders shared by every layer: percent-encoding (RFC 3986 §2.1) and random hex ids.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace stepgate {

// Percent-encodes every byte but the unreserved characters (RFC 3986 §2.3) and those in
// `also_plain`.
std::string PercentEncode(std::string_view value, std::string_view also_plain = {});

// `bytes` random bytes from OpenSSL as lower-case hex; empty if the generator fails.
std::string RandomHex(std::size_t bytes);

}  // namespace stepgate
