// A secret that cannot be logged: no operator<<, no fmt formatter, so spdlog/fmt refuse to
// format it at compile time. Equality is constant-time.
#pragma once

#include <openssl/crypto.h>

#include <string>
#include <string_view>
#include <utility>

namespace stepgate {

class Secret {
 public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}
    Secret(const Secret&) = default;
    Secret& operator=(const Secret&) = default;
    Secret(Secret&&) noexcept = default;
    Secret& operator=(Secret&&) noexcept = default;
    ~Secret() { OPENSSL_cleanse(value_.data(), value_.size()); }

    // Named so that every read of the secret stands out in review.
    std::string_view Reveal() const { return value_; }
    bool empty() const { return value_.empty(); }

    bool EqualsConstantTime(std::string_view other) const {
        if (other.size() != value_.size()) return false;
        return CRYPTO_memcmp(other.data(), value_.data(), value_.size()) == 0;
    }

 private:
    std::string value_;
};

}  // namespace stepgate
