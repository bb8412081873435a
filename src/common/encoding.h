// Small encoders shared by every layer: percent-encoding (RFC 3986 §2.1) and random hex ids.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace stepgate {

// Percent-encodes every byte but the unreserved characters (RFC 3986 §2.3) and those in
// `also_plain`.
std::string PercentEncode(std::string_view value, std::string_view also_plain = {});

// ASCII only, whatever the locale, and inline: these run per request (std::isalnum and
// std::toupper are calls into the C library's locale tables).
constexpr bool IsAsciiAlnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr char AsciiUpper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }

// The first position in `text` of any byte of `bytes`, or npos. libstdc++'s find_first_of
// calls memchr once per byte of `text`, which showed in profiles of the per-request URL
// parsing; with `bytes` a literal this is a few compares per byte.
constexpr std::size_t FindAnyOf(std::string_view text, std::string_view bytes) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        for (const char byte : bytes) {
            if (text[i] == byte) return i;
        }
    }
    return std::string_view::npos;
}

// `bytes` random bytes from OpenSSL as lower-case hex; empty if the generator fails.
std::string RandomHex(std::size_t bytes);

}  // namespace stepgate
