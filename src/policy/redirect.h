// Where a browser may be sent after login or logout (`rd`). Accepted: a relative path (taken
// against public_url's origin) or an absolute URL whose host is on redirect.allowed_domains
// (dot-boundary suffix match, any port; https unless cookies are not Secure). Everything else,
// including the classic open-redirect spellings (//evil, /\evil, https:evil, userinfo@,
// whitespace and control characters, non-ASCII look-alikes), is refused.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stepgate::policy {

struct RedirectPolicy {
    std::string origin;                        // scheme://host[:port] of public_url
    std::string origin_host;                   // its normalized host (always allowed)
    std::vector<std::string> allowed_domains;  // ".example.com" (suffix) or "app.example.com"
    bool require_https = true;
};

// The absolute URL to redirect to, or nullopt when `rd` is not acceptable.
std::optional<std::string> AcceptRedirect(std::string_view rd, const RedirectPolicy& policy);

// Whether `host` (normalized) is on the allow-list.
bool HostAllowed(std::string_view host, const RedirectPolicy& policy);

}  // namespace stepgate::policy
