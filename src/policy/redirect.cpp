#include "policy/redirect.h"

#include "common/encoding.h"
#include "policy/url.h"

namespace stepgate::policy {

namespace {

bool SafeCharacters(std::string_view rd) {
    for (char c : rd) {
        const auto byte = static_cast<unsigned char>(c);
        // Controls (tab, CR, LF: header injection and browsers stripping them), space, the
        // backslash that browsers read as '/', and any non-ASCII byte (look-alike hosts).
        if (byte <= 0x20 || byte >= 0x7f || c == '\\') return false;
    }
    return true;
}

}  // namespace

bool HostAllowed(std::string_view host, const RedirectPolicy& policy) {
    if (host == policy.origin_host) return true;
    for (const auto& domain : policy.allowed_domains) {
        if (domain.empty()) continue;
        if (domain.front() == '.') {
            std::string_view apex = std::string_view(domain).substr(1);
            if (host == apex) return true;
            if (host.size() > domain.size() &&
                host.compare(host.size() - domain.size(), domain.size(), domain) == 0) {
                return true;
            }
        } else if (host == domain) {
            return true;
        }
    }
    return false;
}

std::optional<std::string> AcceptRedirect(std::string_view rd, const RedirectPolicy& policy) {
    if (rd.empty() || rd.size() > kMaxUrlBytes || !SafeCharacters(rd)) return std::nullopt;
    if (rd.front() == '/') {
        // "//host" and "/\host" are network-path references to another host.
        if (rd.size() > 1 && (rd[1] == '/' || rd[1] == '\\')) return std::nullopt;
        if (policy.origin.empty()) return std::nullopt;
        return policy.origin + std::string(rd);
    }
    const auto separator = rd.find("://");
    if (separator == std::string_view::npos) return std::nullopt;  // https:evil, javascript:, data:
    std::string scheme;
    for (char c : rd.substr(0, separator))
        scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (scheme != "https" && !(scheme == "http" && !policy.require_https)) return std::nullopt;
    std::string_view rest = rd.substr(separator + 3);
    const auto authority_end = std::min(FindAnyOf(rest, "/?#"), rest.size());
    std::string_view authority = rest.substr(0, authority_end);
    if (authority.find('@') != std::string_view::npos) return std::nullopt;  // userinfo
    auto host = NormalizeHost(authority);
    if (!host || !HostAllowed(*host, policy)) return std::nullopt;
    std::string_view tail = rest.substr(authority_end);
    return scheme + "://" + std::string(authority) +
           (tail.empty() ? std::string("/") : std::string(tail));
}

}  // namespace stepgate::policy
