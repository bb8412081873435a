// The hash the verified-token and session caches key their tables by: the length and the last
// kTailHashBytes bytes. Those bytes are signature or AEAD tag (a JWS ends with its signature, a
// sealed session with its tag), so they differ between any two entries, and hashing a 1 KB
// token whole cost more than the rest of the lookup. Equality is still the whole text: a
// collision costs a comparison, never a wrong match. Entries are only added after a signature
// or tag has been checked, so an attacker cannot fill a bucket with texts of one tail.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace stepgate {

inline constexpr std::size_t kTailHashBytes = 64;

inline std::size_t TailHash(std::string_view text) {
    const std::string_view tail =
        text.size() > kTailHashBytes ? text.substr(text.size() - kTailHashBytes) : text;
    return std::hash<std::string_view>{}(tail) ^ (text.size() * 0x9e3779b97f4a7c15ULL);
}

}  // namespace stepgate
