// What the matcher sees of a URL: policy::ParseAbsoluteUrl (X-Original-URL), NormalizePath,
// NormalizeHost, ParseQuery, and Policy::Match over the fixed policy (loaded once with
// config::LoadConfigText, case-sensitive and case-insensitive copies). Input: a URL; the same
// bytes are also given to NormalizePath and NormalizeHost directly.
//
// Properties (see common/url_checks.h): a normalized path never holds "//", a "." or ".."
// segment, a NUL, control character or backslash, and normalizing it again changes nothing;
// a normalized host is lower-case, portless, without trailing dot, and stable; a parsed URL's
// host and path are what NormalizeHost/NormalizePath make of its parts; matching agrees
// between the two copies on inputs that have no upper-case letters.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/fuzz_support.h"
#include "common/known.h"
#include "common/url_checks.h"
#include "policy/policy.h"
#include "policy/url.h"

using namespace stepgate;

namespace {

const policy::Rule* MatchAll(const policy::Policy& policy, std::string_view host,
                             std::string_view match_path) {
    const policy::Rule* first = nullptr;
    for (std::string_view method : {"GET", "POST", "DELETE"}) {
        const policy::Rule* rule = policy.Match(host, match_path, method);
        if (method == "GET") first = rule;
    }
    return first;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)fuzz::Config(false);
    (void)fuzz::Config(true);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const policy::Rule* matched[2] = {nullptr, nullptr};
    bool parsed[2] = {false, false};

    for (bool ci : {false, true}) {
        const policy::Policy& policy = fuzz::Config(ci)->policy;

        // The path alone.
        if (auto path = policy::NormalizePath(input, ci)) {
            FUZZ_REQUIRE_NONE(fuzz::PathViolation(*path, ci), input);
            (void)MatchAll(policy, "shop.example.com", path->match_path);
        } else {
            (void)policy::Describe(path.error());
        }

        // The whole URL.
        auto url = policy::ParseAbsoluteUrl(input, ci);
        if (!url) continue;
        parsed[ci] = true;
        FUZZ_REQUIRE("url-parts", url->scheme == "http" || url->scheme == "https", input);
        FUZZ_REQUIRE_NONE(fuzz::HostViolation(url->host), input);
        auto host_again = policy::NormalizeHost(url->authority);
        FUZZ_REQUIRE("url-parts", host_again && *host_again == url->host, input);
        FUZZ_REQUIRE("url-parts", url->authority.find('@') == std::string::npos, input);
        FUZZ_REQUIRE_NONE(fuzz::PathViolation(url->path, ci), input);
        FUZZ_REQUIRE("url-parts", url->raw_query.find('#') == std::string::npos, input);
        (void)policy::ParseQuery(url->raw_query);
        matched[ci] = MatchAll(policy, url->host, url->path.match_path);
    }
    // With no upper-case letter anywhere, case-insensitivity changes nothing.
    bool has_upper = false;
    for (char c : input) has_upper = has_upper || (c >= 'A' && c <= 'Z');
    if (!has_upper && input.find('%') == std::string_view::npos) {
        FUZZ_REQUIRE("url-ci", parsed[0] == parsed[1], input);
        if (parsed[0] && parsed[1]) {
            const bool same = (matched[0] == nullptr) == (matched[1] == nullptr) &&
                              (matched[0] == nullptr || matched[0]->name == matched[1]->name);
            FUZZ_REQUIRE("url-ci", same, input);
        }
    }

    // The host alone.
    if (auto host = policy::NormalizeHost(input)) {
        FUZZ_REQUIRE_NONE(fuzz::HostViolation(*host), input);
    }
    // The query alone.
    if (auto query = policy::ParseQuery(input)) {
        for (const auto& [key, value] : *query) (void)key, (void)value;
    }
    return 0;
}
