// policy::AcceptRedirect: the `rd` a browser brings to /start and /logout. Input: rd.
// Two fixed policies: the fixed config's (origin https://auth.example.com, allowed
// `.example.com` and `partner.example.org`, https only), and one with http allowed and no
// origin (no public_url).
//
// Properties of an accepted URL: no control character, space, backslash or non-ASCII byte;
// either it is the origin followed by '/' and not by "//" or "/\", or it is an absolute
// http(s) URL whose authority has no userinfo and whose host (after NormalizeHost) is allowed
// by HostAllowed; it is https when the policy requires it; and accepting it again gives it
// back unchanged.
#include "policy/redirect.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/fuzz_support.h"
#include "common/known.h"
#include "policy/url.h"

using namespace stepgate;

namespace {

const policy::RedirectPolicy& Strict() {
    static const policy::RedirectPolicy p = [] {
        policy::RedirectPolicy r;
        r.origin = "https://auth.example.com";
        r.origin_host = "auth.example.com";
        r.allowed_domains = fuzz::Config()->redirect.allowed_domains;
        r.require_https = true;
        return r;
    }();
    return p;
}

const policy::RedirectPolicy& Lax() {
    static const policy::RedirectPolicy p = [] {
        policy::RedirectPolicy r;
        r.allowed_domains = {".example.com", "localhost", ".internal"};
        r.require_https = false;
        return r;
    }();
    return p;
}

int Check(std::string_view rd, const policy::RedirectPolicy& policy) {
    const auto accepted = policy::AcceptRedirect(rd, policy);
    if (!accepted) return 0;
    const std::string& url = *accepted;
    for (char c : url) {
        const auto byte = static_cast<unsigned char>(c);
        FUZZ_REQUIRE("redirect-chars", byte > 0x20 && byte < 0x7f && c != '\\', rd);
    }
    if (rd.front() == '/') {
        // A relative rd: the origin, then rd, which must not be a network-path reference.
        FUZZ_REQUIRE("redirect-origin",
                     url.size() > policy.origin.size() && !policy.origin.empty() &&
                         url.compare(0, policy.origin.size(), policy.origin) == 0 &&
                         url[policy.origin.size()] == '/',
                     rd);
        const std::size_t after = policy.origin.size() + 1;
        FUZZ_REQUIRE("redirect-origin",
                     after >= url.size() || (url[after] != '/' && url[after] != '\\'), rd);
    } else {
        const auto separator = url.find("://");
        FUZZ_REQUIRE("redirect-absolute", separator != std::string::npos, rd);
        const std::string scheme = url.substr(0, separator);
        FUZZ_REQUIRE("redirect-scheme",
                     scheme == "https" || (scheme == "http" && !policy.require_https), rd);
        const std::string rest = url.substr(separator + 3);
        const std::string authority = rest.substr(0, rest.find_first_of("/?#"));
        FUZZ_REQUIRE("redirect-host", authority.find('@') == std::string::npos, rd);
        auto host = policy::NormalizeHost(authority);
        FUZZ_REQUIRE("redirect-host", host && policy::HostAllowed(*host, policy), rd);
    }
    const auto again = policy::AcceptRedirect(url, policy);
    FUZZ_REQUIRE("redirect-stable", again && *again == url, rd);
    return 0;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)Strict();
    (void)Lax();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view rd(reinterpret_cast<const char*>(data), size);
    if (Check(rd, Strict()) != 0) return -1;
    if (Check(rd, Lax()) != 0) return -1;
    // The host test alone, on the input as a host.
    if (auto host = policy::NormalizeHost(rd)) {
        (void)policy::HostAllowed(*host, Strict());
        (void)policy::HostAllowed(*host, Lax());
    }
    return 0;
}
