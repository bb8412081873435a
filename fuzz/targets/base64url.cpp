// jose::Base64UrlDecode / Base64UrlEncode (RFC 4648 §5, no padding, strict).
//
// Properties: decode(encode(x)) == x for any bytes; when decode(s) succeeds,
// encode(decode(s)) == s (one spelling per value); and decode agrees with a plain reference
// decoder on which inputs are valid (length % 4 != 1, alphabet only, unused bits zero).
#include "jose/base64url.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/fuzz_support.h"
#include "common/known.h"

using namespace stepgate;

namespace {

int Value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

// Bit by bit, as RFC 4648 §3.5 describes it.
std::optional<std::string> Reference(std::string_view in) {
    if (in.size() % 4 == 1) return std::nullopt;
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : in) {
        const int v = Value(c);
        if (v < 0) return std::nullopt;
        buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xff));
        }
    }
    if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;  // unused bits must be zero
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    const std::string encoded = jose::Base64UrlEncode(input);
    FUZZ_REQUIRE("b64-length", encoded.size() == (input.size() * 4 + 2) / 3, input);
    const auto round_trip = jose::Base64UrlDecode(encoded);
    FUZZ_REQUIRE("b64-roundtrip", round_trip && *round_trip == input, input);

    const auto decoded = jose::Base64UrlDecode(input);
    const auto expected = Reference(input);
    FUZZ_REQUIRE("b64-reference", decoded.has_value() == expected.has_value(), input);
    if (decoded) {
        FUZZ_REQUIRE("b64-reference", *decoded == *expected, input);
        FUZZ_REQUIRE("b64-canonical", jose::Base64UrlEncode(*decoded) == input, input);
    }
    return 0;
}
