#include "jose/base64url.h"

#include <array>
#include <cstdint>

namespace stepgate::jose {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Decoding table: the 6-bit value of each alphabet character, kInvalid (high bit set) for
// every other byte, including '=', '+', '/', whitespace and NUL (RFC 4648 §5).
constexpr std::uint8_t kInvalid = 0x80;
constexpr std::array<std::uint8_t, 256> MakeDecodeTable() {
    std::array<std::uint8_t, 256> table{};
    for (auto& entry : table) entry = kInvalid;
    for (std::uint8_t i = 0; i < 64; ++i) {
        table[static_cast<unsigned char>(kAlphabet[i])] = i;
    }
    return table;
}
constexpr std::array<std::uint8_t, 256> kDecode = MakeDecodeTable();

inline std::uint8_t Lookup(char c) { return kDecode[static_cast<unsigned char>(c)]; }

}  // namespace

std::optional<std::string> Base64UrlDecode(std::string_view input) {
    std::string out;
    if (!Base64UrlDecodeInto(input, out)) return std::nullopt;
    return out;
}

bool Base64UrlDecodeInto(std::string_view input, std::string& out) {
    const std::size_t full_groups = input.size() / 4;
    const std::size_t remainder = input.size() % 4;
    // RFC 4648 §5 without padding: a final group of 1 character cannot encode a byte.
    if (remainder == 1) return false;

    out.resize(full_groups * 3 + (remainder == 0 ? 0 : remainder - 1));
    const char* in = input.data();
    char* dst = out.data();
    // Every looked-up value is OR-ed into `seen`; one invalid character sets its high bit.
    std::uint32_t seen = 0;
    for (std::size_t g = 0; g < full_groups; ++g, in += 4, dst += 3) {
        const std::uint32_t a = Lookup(in[0]);
        const std::uint32_t b = Lookup(in[1]);
        const std::uint32_t c = Lookup(in[2]);
        const std::uint32_t d = Lookup(in[3]);
        seen |= a | b | c | d;
        const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
        dst[0] = static_cast<char>((v >> 16) & 0xff);
        dst[1] = static_cast<char>((v >> 8) & 0xff);
        dst[2] = static_cast<char>(v & 0xff);
    }
    if (remainder == 2) {
        const std::uint32_t a = Lookup(in[0]);
        const std::uint32_t b = Lookup(in[1]);
        seen |= a | b;
        // The low 4 bits of the last character are unused and must be zero (RFC 4648 §3.5),
        // so that every value has exactly one encoding (RFC 7515 §2).
        if ((b & 0x0f) != 0) return false;
        dst[0] = static_cast<char>(((a << 2) | (b >> 4)) & 0xff);
    } else if (remainder == 3) {
        const std::uint32_t a = Lookup(in[0]);
        const std::uint32_t b = Lookup(in[1]);
        const std::uint32_t c = Lookup(in[2]);
        seen |= a | b | c;
        if ((c & 0x03) != 0) return false;  // RFC 4648 §3.5: unused bits are zero
        const std::uint32_t v = (a << 10) | (b << 4) | (c >> 2);
        dst[0] = static_cast<char>((v >> 8) & 0xff);
        dst[1] = static_cast<char>(v & 0xff);
    }
    return (seen & kInvalid) == 0;
}

std::string Base64UrlEncode(std::string_view bytes) {
    const std::size_t full_groups = bytes.size() / 3;
    const std::size_t remainder = bytes.size() % 3;
    std::string out;
    out.resize(full_groups * 4 + (remainder == 0 ? 0 : remainder + 1));
    const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
    char* dst = out.data();
    for (std::size_t g = 0; g < full_groups; ++g, in += 3, dst += 4) {
        const std::uint32_t v = (std::uint32_t{in[0]} << 16) | (std::uint32_t{in[1]} << 8) | in[2];
        dst[0] = kAlphabet[(v >> 18) & 0x3f];
        dst[1] = kAlphabet[(v >> 12) & 0x3f];
        dst[2] = kAlphabet[(v >> 6) & 0x3f];
        dst[3] = kAlphabet[v & 0x3f];
    }
    if (remainder == 1) {
        const std::uint32_t v = std::uint32_t{in[0]} << 16;
        dst[0] = kAlphabet[(v >> 18) & 0x3f];
        dst[1] = kAlphabet[(v >> 12) & 0x3f];
    } else if (remainder == 2) {
        const std::uint32_t v = (std::uint32_t{in[0]} << 16) | (std::uint32_t{in[1]} << 8);
        dst[0] = kAlphabet[(v >> 18) & 0x3f];
        dst[1] = kAlphabet[(v >> 12) & 0x3f];
        dst[2] = kAlphabet[(v >> 6) & 0x3f];
    }
    return out;
}

}  // namespace stepgate::jose
