#include "adapters/client_address.h"

#include <arpa/inet.h>

#include <array>

namespace stepgate::adapters {

namespace {

bool Parse(std::string_view text, std::array<unsigned char, 16>& bytes, bool& v6) {
    if (text.empty() || text.size() > 45) return false;
    const std::string address(text);
    bytes.fill(0);
    if (inet_pton(AF_INET, address.c_str(), bytes.data()) == 1) {
        v6 = false;
        return true;
    }
    if (inet_pton(AF_INET6, address.c_str(), bytes.data()) == 1) {
        v6 = true;
        return true;
    }
    return false;
}

bool Trusted(std::string_view address, const std::vector<config::Cidr>& trusted) {
    std::array<unsigned char, 16> bytes{};
    bool v6 = false;
    if (!Parse(address, bytes, v6)) return false;
    for (const auto& cidr : trusted) {
        if (cidr.Contains(bytes, v6)) return true;
    }
    return false;
}

std::string_view Trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

}  // namespace

std::string ClientAddress(const Request& request, std::string_view peer,
                          const std::vector<config::Cidr>& trusted_proxies) {
    if (trusted_proxies.empty() || !Trusted(peer, trusted_proxies)) return std::string(peer);
    // Walk X-Forwarded-For from the right: the first hop we do not trust is the client.
    std::string_view forwarded = request["X-Forwarded-For"];
    std::string_view candidate;
    while (!forwarded.empty()) {
        const auto comma = forwarded.rfind(',');
        std::string_view hop =
            Trim(comma == std::string_view::npos ? forwarded : forwarded.substr(comma + 1));
        forwarded =
            comma == std::string_view::npos ? std::string_view() : forwarded.substr(0, comma);
        std::array<unsigned char, 16> bytes{};
        bool v6 = false;
        if (!Parse(hop, bytes, v6)) break;  // garbage: stop believing the chain
        candidate = hop;
        if (!Trusted(hop, trusted_proxies)) return std::string(hop);
    }
    if (!candidate.empty()) return std::string(candidate);
    std::string_view real_ip = Trim(request["X-Real-IP"]);
    std::array<unsigned char, 16> bytes{};
    bool v6 = false;
    if (Parse(real_ip, bytes, v6)) return std::string(real_ip);
    return std::string(peer);
}

}  // namespace stepgate::adapters
